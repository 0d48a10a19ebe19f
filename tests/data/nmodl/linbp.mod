: Written for tests/modcc_test.ts: a LINEAR block solved in BREAKPOINT (modcc's linear solver: each
: step the states solve the block's equations), here a gate at its voltage-dependent equilibrium.
NEURON {
    SUFFIX linbp
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER { gbar = 0.01 (S/cm2) }

STATE { C O }

INITIAL {
    C = 1
    O = 0
}

BREAKPOINT {
    SOLVE gate
    ik = gbar*O*(v - ek)
}

LINEAR gate {
    LOCAL a, b
    a = 0.1*exp((v + 45)/15)
    b = 0.3*exp(-(v + 45)/20)
    ~ a*C - b*O = 0
    ~ C + O = 1
}
