: Written for tests/modcc_test.ts: COMPARTMENT in a linear KINETIC scheme, where modcc scales each
: species' column of the implicit step by 1/volume (its sparse solver), with volumes that differ.
NEURON {
    SUFFIX complin
    USEION k READ ek WRITE ik
    RANGE gbar, vc, vo
}

PARAMETER {
    gbar = 0.02 (S/cm2)
    vc = 2
    vo = 0.5
}

STATE { C O }

INITIAL {
    C = 1
    O = 0
}

BREAKPOINT {
    SOLVE scheme METHOD sparse
    ik = gbar*O*(v - ek)
}

KINETIC scheme {
    LOCAL a, b
    COMPARTMENT vc {C}
    COMPARTMENT vo*diam/diam {O}
    : (rates as LOCALs: modcc 0.11 stops with an internal error on a call in a reaction's rates)
    a = alpha(v)
    b = beta(v)
    ~ C <-> O (a, b)
}

FUNCTION alpha(vm (mV)) (/ms) {
    alpha = 0.1*exp((vm + 40)/20)
}

FUNCTION beta(vm (mV)) (/ms) {
    beta = 0.2*exp(-(vm + 40)/30)
}
