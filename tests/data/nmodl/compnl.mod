: Written for tests/modcc_test.ts: COMPARTMENT in a non-linear KINETIC scheme (a dimer), where
: modcc's Newton iterations divide each species' equation by its volume.
NEURON {
    SUFFIX compnl
    USEION k READ ek WRITE ik
    RANGE gbar, va, vd
}

PARAMETER {
    gbar = 0.02 (S/cm2)
    va = 3
    vd = 0.7
}

STATE { A D }

INITIAL {
    A = 0.8
    D = 0.1
}

BREAKPOINT {
    SOLVE dimer METHOD sparse
    ik = gbar*A*(v - ek)
}

KINETIC dimer {
    LOCAL k
    COMPARTMENT va {A}
    COMPARTMENT vd {D}
    k = kf(v)
    ~ 2 A <-> D (k, 0.05)
}

FUNCTION kf(vm (mV)) (/ms) {
    kf = 0.3*exp(-(vm + 50)/25)
}
