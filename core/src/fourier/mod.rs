//! Mod-p Fourier analysis of a trained model (SPEC §5).
