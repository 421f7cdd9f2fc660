//! The model of SPEC §3: parameters, forward, analytic backward, AdamW and the training step.
