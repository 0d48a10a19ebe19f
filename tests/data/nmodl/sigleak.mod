: Written for tests/modcc_test.ts: a leak whose current is nonlinear in v (a sigmoid gate written inline).
NEURON {
    SUFFIX sigleak
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
    i = gbar*(v - e)/(1 + exp(-(v - vh)/k))
}
