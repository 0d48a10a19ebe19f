: Written for tests/modcc_test.ts: a STATE set in BREAKPOINT (the gate is capped after SOLVE),
: which modcc's compute_currents stores; the conductance reads the capped value, as modcc's
: `conductivity_` is computed after the whole block.
NEURON {
    SUFFIX statebp
    USEION k READ ek WRITE ik
    RANGE gbar, cap
}

PARAMETER {
    gbar = 0.036 (S/cm2)
    cap = 0.35
}

STATE { n }

INITIAL {
    n = ninf(v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    if (n > cap) {
        n = cap
    }
    ik = gbar*n*n*n*n*(v - ek)
}

DERIVATIVE states {
    n' = (ninf(v) - n)/ntau(v)
}

FUNCTION ninf(vm (mV)) {
    ninf = 1/(1 + exp(-(vm + 55)/10))
}

FUNCTION ntau(vm (mV)) (ms) {
    ntau = 1 + 4*exp(-(vm + 60)*(vm + 60)/600)
}
