use core::fmt;

/// Everything core can refuse. Each variant's `Display` is one line that says what was wrong and
/// what to do about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Error {
    /// `p` is below 3, at least 2^16, or not prime.
    BadModulus { p: u32 },
    /// `frac` is not in (0, 1), or leaves the train or the test set empty.
    BadFraction { frac: f64, n_pairs: usize },
    /// An operation name that is neither a reference name nor a parseable expression.
    UnknownOp,
    /// An expression that does not parse; `at` is the byte offset of the problem.
    BadExpression { at: usize },
    /// A polynomial whose degree exceeds [`crate::data::MAX_DEGREE`].
    DegreeTooHigh { degree: u32 },
    /// A polynomial with more terms than [`crate::data::MAX_TERMS`].
    TooManyTerms,
    /// A mixture with more tasks than [`crate::MAX_TASKS`], or with none.
    BadTaskCount { n: usize },
    /// A model dimension that is zero, inconsistent, or too large.
    BadDims,
    /// A caller buffer shorter than the layout needs.
    BufferTooSmall { need: usize, got: usize },
    /// A token or label outside the vocabulary.
    BadToken { token: u32, d_vocab: usize },
    /// A hyperparameter that is not finite or out of range.
    BadHyper,
    /// Bytes that are not a fixed-point model file of this version ([`crate::quant`]).
    BadModelFile { reason: &'static str },
    /// A transform length n outside `1..=`[`crate::fourier::MAX_CYCLIC_N`].
    BadTransformLength { n: u32 },
    /// A weight that is not finite or lies outside the I4F12 range [-8, 8) of [`crate::quant`].
    WeightOutOfRange { tensor: &'static str, value: f32 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::BadModulus { p } => write!(
                f,
                "p = {p} is not allowed: choose a prime with 3 <= p < 65536 (e.g. 97 or 113)"
            ),
            Error::BadFraction { frac, n_pairs } => write!(
                f,
                "frac = {frac} must lie in (0, 1) and leave both train and test non-empty for {n_pairs} pairs"
            ),
            Error::UnknownOp => write!(
                f,
                "unknown operation: use a reference name (run `modgrok ops`) or an expression in x and y like \"x^2 + y\""
            ),
            Error::BadExpression { at } => write!(
                f,
                "malformed expression at byte {at}: write terms like 3*x^2*y joined by + or -, or x/y"
            ),
            Error::DegreeTooHigh { degree } => write!(
                f,
                "expression degree {degree} is above the limit of {}: use a lower power",
                crate::limits::MAX_DEGREE
            ),
            Error::TooManyTerms => write!(
                f,
                "expression has more than {} terms: combine like terms or shorten it",
                crate::limits::MAX_TERMS
            ),
            Error::BadTaskCount { n } => write!(
                f,
                "{n} tasks given: a run needs between 1 and {} operations",
                crate::limits::MAX_TASKS
            ),
            Error::BadDims => write!(
                f,
                "model dimensions must be positive, d_model must equal n_heads * d_head, and each below 2^16"
            ),
            Error::BufferTooSmall { need, got } => write!(
                f,
                "buffer holds {got} elements but {need} are needed: size it with the layout's len()"
            ),
            Error::BadToken { token, d_vocab } => write!(
                f,
                "token {token} is outside the vocabulary of {d_vocab}: rebuild the dataset for this model"
            ),
            Error::BadHyper => write!(
                f,
                "optimizer hyperparameters must be finite, lr > 0, wd >= 0, betas in [0, 1), eps > 0"
            ),
            Error::BadModelFile { reason } => write!(
                f,
                "not a fixed-point model file ({reason}): write one with `modgrok export-fixed CHECKPOINT`"
            ),
            Error::BadTransformLength { n } => write!(
                f,
                "transform length {n} is not allowed: a DFT over Z_n needs 1 <= n <= {}",
                crate::limits::MAX_CYCLIC_N
            ),
            Error::WeightOutOfRange { tensor, value } => write!(
                f,
                "weight {value} in {tensor} does not fit the fixed-point range [-8, 8): only a model trained with weight decay to finite, small weights can be exported"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// `Err(BufferTooSmall)` when a buffer of `got` elements is shorter than `need`.
#[inline]
pub(crate) fn check_len(got: usize, need: usize) -> Result<(), Error> {
    if got < need {
        Err(Error::BufferTooSmall { need, got })
    } else {
        Ok(())
    }
}
