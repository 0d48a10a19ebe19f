: Written for tests/modcc_test.ts: a leak whose current is nonlinear in v (a sigmoid gate), with a FUNCTION.
NEURON {
    SUFFIX nonlinear
    NONSPECIFIC_CURRENT i
    RANGE gbar, e, vh
}
PARAMETER {
    gbar = 0.002 (S/cm2)
    e = -60 (mV)
    vh = -40 (mV)
    k = 6 (mV)
}
BREAKPOINT {
    i = gbar*gate(v)*(v - e)
}
FUNCTION gate(u) {
    gate = 1/(1 + exp(-(u - vh)/k))
}
