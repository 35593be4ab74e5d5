TITLE Low-threshold T-type Ca current as in Pospischil et al. 2008

COMMENT
Pospischil et al. (2008) Biol Cybern 99:427-441 (after Destexhe et al. 1996):
I_T = gcabar s_inf(v)^2 u (v - ecat), instantaneous activation,
s_inf = 1/(1 + exp(-(v + vx + 57)/6.2)), u_inf = 1/(1 + exp((v + vx + 81)/4)),
tau_u = (30.8 + (211.4 + exp((v + vx + 113.2)/5)) / (1 + exp((v + vx + 84)/3.2)))
        / phi,  phi = 3^((celsius - 24)/10)  (3.74 at 36 degC; the paper's 3.7).
Fixed reversal ecat = 120 mV (the paper's E_Ca). Writes ica. No TABLE, cnexp.
ENDCOMMENT

NEURON {
	SUFFIX catpos
	USEION ca WRITE ica
	RANGE gcabar, ecat, vx, ica
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gcabar = 4e-4 (S/cm2)
	ecat = 120 (mV)
	vx = -7 (mV)
	celsius (degC)
}

STATE { u }

ASSIGNED {
	v (mV)
	ica (mA/cm2)
	uinf
	tauu (ms)
}

BREAKPOINT { LOCAL s
	SOLVE states METHOD cnexp
	s = 1 / (1 + exp(-(v + vx + 57) / 6.2))
	ica = gcabar * s*s * u * (v - ecat)
}

DERIVATIVE states {
	rates(v)
	u' = (uinf - u) / tauu
}

INITIAL {
	rates(v)
	u = uinf
}

UNITSOFF
PROCEDURE rates(v (mV)) { LOCAL phi
	phi = 3.0 ^ ((celsius - 24) / 10)
	uinf = 1 / (1 + exp((v + vx + 81) / 4))
	tauu = (30.8 + (211.4 + exp((v + vx + 113.2) / 5)) / (1 + exp((v + vx + 84) / 3.2))) / phi
}
UNITSON
