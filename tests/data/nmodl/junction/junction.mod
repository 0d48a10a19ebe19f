: A gap junction with a rectifying conductance (denocat test file): JUNCTION_PROCESS reads v_peer.
NEURON {
    JUNCTION_PROCESS junction
    NONSPECIFIC_CURRENT i
    RANGE g, k
}
PARAMETER { g = 0.01 (uS) k = 0.05 (/mV) }
BREAKPOINT {
    i = g*(1 + k*(v - v_peer))*(v - v_peer)
}
