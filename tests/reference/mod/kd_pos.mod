TITLE Delayed-rectifier K current (Traub & Miles 1991) as in Pospischil et al. 2008

COMMENT
Pospischil et al. (2008) Biol Cybern 99:427-441: I_Kd = gkbar n^4 (v - ek),
rates of v - vtraub. Rates exact (no TABLE), q10 = 3 at 36 degC, cnexp.
ENDCOMMENT

NEURON {
	SUFFIX kdpos
	USEION k READ ek WRITE ik
	RANGE gkbar, vtraub, ik
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gkbar = 0.006 (S/cm2)
	vtraub = -56.2 (mV)
	celsius (degC)
}

STATE { n }

ASSIGNED {
	v (mV)
	ek (mV)
	ik (mA/cm2)
	an (/ms) bn (/ms)
	tadj
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ik = gkbar * n*n*n*n * (v - ek)
}

DERIVATIVE states {
	rates(v)
	n' = an * (1 - n) - bn * n
}

INITIAL {
	rates(v)
	n = an / (an + bn)
}

UNITSOFF
PROCEDURE rates(v (mV)) { LOCAL v2
	tadj = 3.0 ^ ((celsius - 36) / 10)
	v2 = v - vtraub
	an = tadj * 0.032 * vtrap(15 - v2, 5)
	bn = tadj * 0.5 * exp((10 - v2) / 40)
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
