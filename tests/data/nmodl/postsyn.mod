: Written for tests/modcc_test.ts: a synapse with POST_EVENT, an ASSIGNED counter kept by NET_RECEIVE, and a nonlinear event.
NEURON {
    POINT_PROCESS postsyn
    NONSPECIFIC_CURRENT i
    RANGE tau, e
}
PARAMETER {
    tau = 3 (ms)
    e = 0 (mV)
    taup = 10 (ms)
}
STATE { g apost }
ASSIGNED { nev }
INITIAL {
    g = 0
    apost = 0
    nev = 0
}
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = g*(v - e)
}
DERIVATIVE states {
    g' = -g/tau
    apost' = -apost/taup
}
NET_RECEIVE(weight) {
    g = g + weight*(1 + apost)/(1 + g)
    nev = nev + 1
}
POST_EVENT(time) {
    apost = apost + 0.5
}
