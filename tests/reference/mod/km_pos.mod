TITLE Slow non-inactivating K current (M current) as in Pospischil et al. 2008

COMMENT
Pospischil et al. (2008) Biol Cybern 99:427-441: I_M = gkbar p (v - ek),
p_inf = 1/(1 + exp(-(v+35)/10)),
tau_p = taumax / (3.3 exp((v+35)/20) + exp(-(v+35)/20)) / tadj,
tadj = 2.3^((celsius-36)/10) (Destexhe's IM_cortex.mod). No TABLE, cnexp.
ENDCOMMENT

NEURON {
	SUFFIX kmpos
	USEION k READ ek WRITE ik
	RANGE gkbar, taumax, ik
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gkbar = 7.5e-5 (S/cm2)
	taumax = 608 (ms)
	celsius (degC)
}

STATE { p }

ASSIGNED {
	v (mV)
	ek (mV)
	ik (mA/cm2)
	pinf
	taup (ms)
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ik = gkbar * p * (v - ek)
}

DERIVATIVE states {
	rates(v)
	p' = (pinf - p) / taup
}

INITIAL {
	rates(v)
	p = pinf
}

UNITSOFF
PROCEDURE rates(v (mV)) { LOCAL tadj
	tadj = 2.3 ^ ((celsius - 36) / 10)
	pinf = 1 / (1 + exp(-(v + 35) / 10))
	taup = taumax / (3.3 * exp((v + 35) / 20) + exp(-(v + 35) / 20)) / tadj
}
UNITSON
