TITLE High-threshold L-type Ca current (Reuveni et al. 1993) as in Pospischil et al. 2008

COMMENT
Pospischil et al. (2008) Biol Cybern 99:427-441: I_L = gcabar q^2 r (v - ecal)
with a fixed reversal ecal = 120 mV (the paper's E_Ca) and no temperature
dependence (the paper's model is at 36 degC). Rates of Reuveni et al. (1993).
Writes ica, so a Ca pool integrates it. No TABLE, cnexp.
ENDCOMMENT

NEURON {
	SUFFIX calpos
	USEION ca WRITE ica
	RANGE gcabar, ecal, ica
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gcabar = 1e-4 (S/cm2)
	ecal = 120 (mV)
}

STATE { q r }

ASSIGNED {
	v (mV)
	ica (mA/cm2)
	aq (/ms) bq (/ms) ar (/ms) br (/ms)
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ica = gcabar * q*q*r * (v - ecal)
}

DERIVATIVE states {
	rates(v)
	q' = aq * (1 - q) - bq * q
	r' = ar * (1 - r) - br * r
}

INITIAL {
	rates(v)
	q = aq / (aq + bq)
	r = ar / (ar + br)
}

UNITSOFF
PROCEDURE rates(v (mV)) {
	aq = 0.055 * vtrap(-27 - v, 3.8)
	bq = 0.94 * exp((-75 - v) / 17)
	ar = 0.000457 * exp((-13 - v) / 50)
	br = 0.0065 / (exp((-15 - v) / 28) + 1)
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
