TITLE HVA Ca channel (ca) of Mainen & Sejnowski 1996

COMMENT
Mainen & Sejnowski (1996) Nature 382:363-366 (ModelDB 2488, ca.mod; rates of
Reuveni et al. 1993). I = 1e-4 tadj gbar m^2 h (v - eca), eca from the ion,
rates at vm = v + vshift:
  a_m = 0.055 (-27 - vm) / (exp((-27 - vm)/3.8) - 1), b_m = 0.94 exp((-75 - vm)/17),
  a_h = 0.000457 exp((-13 - vm)/50),  b_h = 0.0065 / (exp((-vm - 15)/28) + 1),
  tau = 1/(tadj (a + b)), tadj = q10^((celsius - temp)/10).
cnexp (the original's exact update), no TABLE.
ENDCOMMENT

NEURON {
	SUFFIX cams
	USEION ca READ eca WRITE ica
	RANGE gbar, vshift, temp, q10, ica
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(pS) = (picosiemens)
	(um) = (micron)
}

PARAMETER {
	gbar = 0.1 (pS/um2)
	vshift = 0 (mV)
	temp = 23 (degC)
	q10 = 2.3
	celsius (degC)
}

STATE { m h }

ASSIGNED {
	v (mV)
	eca (mV)
	ica (mA/cm2)
	minf hinf
	mtau (ms) htau (ms)
	tadj
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ica = (1e-4) * tadj * gbar * m*m*h * (v - eca)
}

DERIVATIVE states {
	rates(v + vshift)
	m' = (minf - m) / mtau
	h' = (hinf - h) / htau
}

INITIAL {
	rates(v + vshift)
	m = minf
	h = hinf
}

UNITSOFF
PROCEDURE rates(vm) { LOCAL a, b
	tadj = q10 ^ ((celsius - temp) / 10)
	a = 0.055 * vtrap(-27 - vm, 3.8)
	b = 0.94 * exp((-75 - vm) / 17)
	mtau = 1 / tadj / (a + b)
	minf = a / (a + b)
	a = 0.000457 * exp((-13 - vm) / 50)
	b = 0.0065 / (exp((-vm - 15) / 28) + 1)
	htau = 1 / tadj / (a + b)
	hinf = a / (a + b)
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
