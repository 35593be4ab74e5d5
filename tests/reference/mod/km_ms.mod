TITLE Slow M-type K channel of Mainen & Sejnowski 1996

COMMENT
Mainen & Sejnowski (1996) Nature 382:363-366 (ModelDB 2488, km.mod).
I = 1e-4 tadj gbar n (v - ek),
  a = Ra (v - tha) / (1 - exp(-(v - tha)/qa)),
  b = -Rb (v - tha) / (1 - exp((v - tha)/qa)),
  tau = 1/(tadj (a + b)), n_inf = a/(a + b), tadj = q10^((celsius - temp)/10).
cnexp (the original's exact update), no TABLE.
ENDCOMMENT

NEURON {
	SUFFIX kmms
	USEION k READ ek WRITE ik
	RANGE gbar, tha, qa, Ra, Rb, temp, q10, ik
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(pS) = (picosiemens)
	(um) = (micron)
}

PARAMETER {
	gbar = 10 (pS/um2)
	tha = -30 (mV)
	qa = 9 (mV)
	Ra = 0.001 (/ms)
	Rb = 0.001 (/ms)
	temp = 23 (degC)
	q10 = 2.3
	celsius (degC)
}

STATE { n }

ASSIGNED {
	v (mV)
	ek (mV)
	ik (mA/cm2)
	ninf
	ntau (ms)
	tadj
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ik = (1e-4) * tadj * gbar * n * (v - ek)
}

DERIVATIVE states {
	rates(v)
	n' = (ninf - n) / ntau
}

INITIAL {
	rates(v)
	n = ninf
}

UNITSOFF
PROCEDURE rates(v) { LOCAL a, b
	tadj = q10 ^ ((celsius - temp) / 10)
	a = Ra * vtrap(tha - v, qa)
	b = Rb * vtrap(v - tha, qa)
	ntau = 1 / tadj / (a + b)
	ninf = a / (a + b)
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
