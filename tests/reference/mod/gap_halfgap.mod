COMMENT
One half of a gap junction, coupled explicitly (NEURON's HalfGap idiom): the
current g (v - vgap) leaves the segment it sits in, vgap being a POINTER to the
other side's potential. NEURON linearises the current in the local v only, so
the other side enters at its value from the start of the step. A junction is
two of these, one in each segment, each pointing at the other. Used by
tests/reference/make_gap_refs.py to measure what the explicit form costs next
to LinearMechanism (implicit, exact).
ENDCOMMENT

NEURON {
    POINT_PROCESS GapHalfExplicit
    POINTER vgap
    RANGE g, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0.001 (uS)
}

ASSIGNED {
    v (mV)
    vgap (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - vgap)
}
