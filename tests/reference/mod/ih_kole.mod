TITLE Ih (HCN) current of Kole, Hallermann & Stuart 2006

COMMENT
Kole MHP, Hallermann S, Stuart GJ (2006) Single Ih channels in pyramidal
neuron dendrites: properties, distribution, and impact on action potential
output. J Neurosci 26:1677-1687 (as in Hay et al. 2011's Ih.mod):
I = gbar m (v - ehcn),
  a = 0.001 * 6.43 (v + 154.9) / (exp((v + 154.9)/11.9) - 1),
  b = 0.001 * 193 exp(v/33.1), m_inf = a/(a + b), tau = 1/(a + b).
No temperature dependence. cnexp, no TABLE.
ENDCOMMENT

NEURON {
	SUFFIX ihkole
	NONSPECIFIC_CURRENT ihcn
	RANGE gbar, ehcn, ihcn
}

UNITS {
	(mA) = (milliamp)
	(mV) = (millivolt)
	(S) = (siemens)
}

PARAMETER {
	gbar = 1e-4 (S/cm2)
	ehcn = -45 (mV)
}

STATE { m }

ASSIGNED {
	v (mV)
	ihcn (mA/cm2)
	minf
	mtau (ms)
}

BREAKPOINT {
	SOLVE states METHOD cnexp
	ihcn = gbar * m * (v - ehcn)
}

DERIVATIVE states {
	rates(v)
	m' = (minf - m) / mtau
}

INITIAL {
	rates(v)
	m = minf
}

UNITSOFF
PROCEDURE rates(v (mV)) { LOCAL a, b
	a = 0.001 * 6.43 * vtrap(v + 154.9, 11.9)
	b = 0.001 * 193 * exp(v / 33.1)
	minf = a / (a + b)
	mtau = 1 / (a + b)
}

FUNCTION vtrap(x, y) {
	if (fabs(x / y) < 1e-6) {
		vtrap = y * (1 - x / y / 2)
	} else {
		vtrap = x / (exp(x / y) - 1)
	}
}
UNITSON
