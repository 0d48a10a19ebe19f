: Written for tests/modcc_test.ts: a gate integrated with METHOD euler.
NEURON {
    SUFFIX eulerleak
    NONSPECIFIC_CURRENT i
}
PARAMETER { g = 0.0005 (S/cm2) e = -70 (mV) }
STATE { s }
INITIAL { s = 0.5 }
BREAKPOINT {
    SOLVE states METHOD euler
    i = g*s*(v - e)
}
DERIVATIVE states { s' = (1/(1 + exp(-(v + 50)/5)) - s)/10 }
