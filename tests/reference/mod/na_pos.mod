TITLE Transient Na current (Traub & Miles 1991) as in Pospischil et al. 2008

COMMENT
Pospischil M et al. (2008) Minimal Hodgkin-Huxley type models for different
classes of cortical and thalamic neurons. Biol Cybern 99:427-441, eqs. for
I_Na: I = gnabar m^3 h (v - ena), rates of v - vtraub. Written for dendrax's
reference tests from the paper's equations: rates computed exactly (no
TABLE), q10 = 3 at 36 degC (the paper's temperature), cnexp.
ENDCOMMENT

NEURON {
	SUFFIX napos
	USEION na READ ena WRITE ina
	RANGE gnabar, vtraub, ina
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gnabar = 0.056 (S/cm2)
	vtraub = -56.2 (mV)
	celsius (degC)
}

STATE { m h }

ASSIGNED {
	v (mV)
	ena (mV)
	ina (mA/cm2)
	am (/ms) bm (/ms) ah (/ms) bh (/ms)
	tadj
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ina = gnabar * m*m*m*h * (v - ena)
}

DERIVATIVE states {
	rates(v)
	m' = am * (1 - m) - bm * m
	h' = ah * (1 - h) - bh * h
}

INITIAL {
	rates(v)
	m = am / (am + bm)
	h = ah / (ah + bh)
}

UNITSOFF
PROCEDURE rates(v (mV)) { LOCAL v2
	tadj = 3.0 ^ ((celsius - 36) / 10)
	v2 = v - vtraub
	am = tadj * 0.32 * vtrap(13 - v2, 4)
	bm = tadj * 0.28 * vtrap(v2 - 40, 5)
	ah = tadj * 0.128 * exp((17 - v2) / 18)
	bh = tadj * 4 / (1 + exp((40 - v2) / 5))
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
