: Written for tests/modcc_test.ts: a LIF-style reset of v outside a VOLTAGE_PROCESS. modcc accepts
: it as a local of BREAKPOINT: the membrane voltage is not reset, but the current computed after
: the assignment reads the local value (here: a leak towards e that sees v = vreset above vth).
NEURON {
    SUFFIX lifreset
    NONSPECIFIC_CURRENT i
    RANGE g, e, vth, vreset
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -65 (mV)
    vth = -40 (mV)
    vreset = -90 (mV)
}

BREAKPOINT {
    if (v > vth) {
        v = vreset
    }
    i = g*(v - e)
}
