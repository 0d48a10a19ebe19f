: Written for tests/modcc_test.ts: a gate updated by assignments in a DERIVATIVE block that
: BREAKPOINT solves without METHOD (modcc's direct solver: the block runs as written each step,
: reading dt), with a clamp of the state after its update.
NEURON {
    SUFFIX direct
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

STATE { n }

ASSIGNED { ninf tau (ms) }

INITIAL {
    rates(v)
    n = ninf
}

BREAKPOINT {
    SOLVE states
    ik = gbar*n*n*(v - ek)
}

DERIVATIVE states {
    rates(v)
    n = n + (1 - exp(-dt/tau))*(ninf - n)
    if (n > 0.9) {
        n = 0.9
    }
}

PROCEDURE rates(vm (mV)) {
    ninf = 1/(1 + exp(-(vm + 40)/10))
    tau = 1 + 4*exp(-(vm + 50)*(vm + 50)/400)
}
