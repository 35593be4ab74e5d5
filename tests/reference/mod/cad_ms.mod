TITLE Ca pool (cad) of Mainen & Sejnowski 1996

COMMENT
Mainen & Sejnowski (1996) Nature 382:363-366 (ModelDB 2488, cad.mod, after
Destexhe's cadecay): a shell of depth `depth` under the membrane, inward Ca
current fills it, first-order removal to cainf:
  drive = -1e4 ica / (2 FARADAY depth), clamped at >= 0 (no outward pumping),
  ca' = drive + (cainf - ca)/taur, cai = ca.
METHOD derivimplicit, as the original.
ENDCOMMENT

NEURON {
	SUFFIX cadms
	USEION ca READ ica, cai WRITE cai
	RANGE depth, taur, cainf
}

UNITS {
	(molar) = (1/liter)
	(mM) = (millimolar)
	(um) = (micron)
	(mA) = (milliamp)
	(msM) = (ms mM)
	FARADAY = (faraday) (coulomb)
}

PARAMETER {
	depth = 0.1 (um)
	taur = 200 (ms)
	cainf = 100e-6 (mM)
}

STATE { ca (mM) }

ASSIGNED {
	ica (mA/cm2)
	cai (mM)
	drive_channel (mM/ms)
}

INITIAL {
	ca = cainf
	cai = ca
}

BREAKPOINT {
	SOLVE state METHOD derivimplicit
}

DERIVATIVE state {
	drive_channel = -(10000) * ica / (2 * FARADAY * depth)
	if (drive_channel <= 0.) { drive_channel = 0. }
	ca' = drive_channel + (cainf - ca) / taur
	cai = ca
}
