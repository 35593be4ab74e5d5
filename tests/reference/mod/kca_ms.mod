TITLE Ca-activated K channel (kca) of Mainen & Sejnowski 1996

COMMENT
Mainen & Sejnowski (1996) Nature 382:363-366 (ModelDB 2488, kca.mod; after
Reuveni et al. 1993): voltage-independent, Ca-activated (SK-like).
I = 1e-4 tadj gbar n (v - ek), a = Ra cai^caix, b = Rb,
tau = 1/(tadj (a + b)), n_inf = a/(a + b), tadj = q10^((celsius - temp)/10).
cnexp (the original's exact update), no TABLE.
ENDCOMMENT

NEURON {
	SUFFIX kcams
	USEION k READ ek WRITE ik
	USEION ca READ cai
	RANGE gbar, caix, Ra, Rb, temp, q10, ik
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(pS) = (picosiemens)
	(um) = (micron)
	(mM) = (milli/liter)
}

PARAMETER {
	gbar = 10 (pS/um2)
	caix = 1
	Ra = 0.01 (/ms)
	Rb = 0.02 (/ms)
	temp = 23 (degC)
	q10 = 2.3
	celsius (degC)
}

STATE { n }

ASSIGNED {
	v (mV)
	ek (mV)
	cai (mM)
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
	rates(cai)
	n' = (ninf - n) / ntau
}

INITIAL {
	rates(cai)
	n = ninf
}

UNITSOFF
PROCEDURE rates(c) { LOCAL a, b
	tadj = q10 ^ ((celsius - temp) / 10)
	a = Ra * c ^ caix
	b = Rb
	ntau = 1 / tadj / (a + b)
	ninf = a / (a + b)
}
UNITSON
