TITLE Na channel of Mainen & Sejnowski 1996

COMMENT
Mainen ZF, Sejnowski TJ (1996) Influence of dendritic structure on firing
pattern in model neocortical neurons. Nature 382:363-366 (ModelDB 2488, na.mod).
I = 1e-4 tadj gbar m^3 h (v - ena), rates at vm = v + vshift:
  a_m = trap0(vm, tha, Ra, qa), b_m = trap0(-vm, -tha, Rb, qa),
  a_h = trap0(vm, thi1, Rd, qi), b_h = trap0(-vm, -thi2, Rg, qi),
  h_inf = 1/(1 + exp((vm - thinf)/qinf)),
  trap0(v, th, a, q) = a (v - th) / (1 - exp(-(v - th)/q)),
  tau = 1/(tadj (a + b)), tadj = q10^((celsius - temp)/10).
The original integrates exactly over dt at the new v (its own PROCEDURE);
here cnexp, the same update, rates exact (no TABLE).
ENDCOMMENT

NEURON {
	SUFFIX nams
	USEION na READ ena WRITE ina
	RANGE gbar, vshift, ina
	RANGE tha, qa, Ra, Rb, thi1, thi2, qi, thinf, qinf, Rg, Rd, temp, q10
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(pS) = (picosiemens)
	(um) = (micron)
}

PARAMETER {
	gbar = 1000 (pS/um2)
	vshift = -5 (mV)
	tha = -35 (mV)
	qa = 9 (mV)
	Ra = 0.182 (/ms)
	Rb = 0.124 (/ms)
	thi1 = -50 (mV)
	thi2 = -75 (mV)
	qi = 5 (mV)
	thinf = -65 (mV)
	qinf = 6.2 (mV)
	Rg = 0.0091 (/ms)
	Rd = 0.024 (/ms)
	temp = 23 (degC)
	q10 = 2.3
	celsius (degC)
}

STATE { m h }

ASSIGNED {
	v (mV)
	ena (mV)
	ina (mA/cm2)
	minf hinf
	mtau (ms) htau (ms)
	tadj
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ina = (1e-4) * tadj * gbar * m*m*m*h * (v - ena)
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
	a = trap0(vm, tha, Ra, qa)
	b = trap0(-vm, -tha, Rb, qa)
	mtau = 1 / tadj / (a + b)
	minf = a / (a + b)
	a = trap0(vm, thi1, Rd, qi)
	b = trap0(-vm, -thi2, Rg, qi)
	htau = 1 / tadj / (a + b)
	hinf = 1 / (1 + exp((vm - thinf) / qinf))
}

FUNCTION trap0(v, th, a, q) { LOCAL x
	x = th - v
	if (fabs(x / q) < 1e-6) {
		trap0 = a * q * (1 - x / q / 2)
	} else {
		trap0 = a * x / (exp(x / q) - 1)
	}
}
UNITSON
