: Written for tests/modcc_test.ts: a leak scaled by an ASSIGNED value that only INITIAL sets (from
: the voltage at the start) and BREAKPOINT reads every step.
NEURON {
    SUFFIX initonly
    NONSPECIFIC_CURRENT i
    RANGE gbar, e, gscale
}
PARAMETER {
    gbar = 0.001 (S/cm2)
    e = -70 (mV)
}
ASSIGNED { gscale }
INITIAL { gscale = 1 + 1/(1 + exp(-(v + 60)/4)) }
BREAKPOINT { i = gbar*gscale*(v - e) }
