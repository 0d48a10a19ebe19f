: An Ornstein-Uhlenbeck conductance driven by white noise (denocat test file): METHOD stochastic.
NEURON {
    SUFFIX noise
    NONSPECIFIC_CURRENT i
    RANGE g0, sigma, tau, e
}
PARAMETER { g0 = 0.0005 (S/cm2) sigma = 0.0002 (S/cm2) tau = 3 (ms) e = 0 (mV) }
STATE { g (S/cm2) }
WHITE_NOISE { W }
INITIAL { g = g0 }
BREAKPOINT {
    SOLVE fluct METHOD stochastic
    i = g*(v - e)
}
DERIVATIVE fluct { g' = (g0 - g)/tau + sigma*sqrt(2/tau)*W }
