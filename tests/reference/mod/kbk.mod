TITLE BK (Ca- and voltage-activated K) channel of Moczydlowski & Latorre 1983

COMMENT
Moczydlowski E, Latorre R (1983) Gating kinetics of Ca2+-activated K+
channels from rat muscle incorporated into planar lipid bilayers. J Gen
Physiol 82:511-542, in the form of NEURON's cagk.mod:
I = gkbar o (v - ek), o' = (oinf - o)/tau, oinf = a tau, tau = 1/(a + b),
  a = abar cai / (cai + k1 exp(-2 d1 F v / (R T))),
  b = bbar / (1 + cai / (k2 exp(-2 d2 F v / (R T)))),  T = celsius + 273.15.
cnexp, no TABLE.
ENDCOMMENT

NEURON {
	SUFFIX kbk
	USEION ca READ cai
	USEION k READ ek WRITE ik
	RANGE gkbar, d1, d2, k1, k2, abar, bbar, ik
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
	(mM) = (milli/liter)
	(molar) = (1/liter)
	FARADAY = (faraday) (kilocoulombs)
	R = (k-mole) (joule/degC)
}

PARAMETER {
	gkbar = 0.01 (S/cm2)
	d1 = 0.84
	d2 = 1.0
	k1 = 0.18 (mM)
	k2 = 0.011 (mM)
	bbar = 0.28 (/ms)
	abar = 0.48 (/ms)
	celsius (degC)
}

STATE { o }

ASSIGNED {
	v (mV)
	ek (mV)
	cai (mM)
	ik (mA/cm2)
	oinf
	tau (ms)
}

BREAKPOINT {
	SOLVE state METHOD cnexp
	ik = gkbar * o * (v - ek)
}

DERIVATIVE state {
	rate(v, cai)
	o' = (oinf - o) / tau
}

INITIAL {
	rate(v, cai)
	o = oinf
}

FUNCTION exp1(k (mM), d, v (mV)) (mM) {
	exp1 = k * exp(-2 * d * FARADAY * v / R / (273.15 + celsius))
}

PROCEDURE rate(v (mV), c (mM)) { LOCAL a, b
	a = c * abar / (c + exp1(k1, d1, v))
	b = bbar / (1 + c / exp1(k2, d2, v))
	tau = 1 / (a + b)
	oinf = a * tau
}
