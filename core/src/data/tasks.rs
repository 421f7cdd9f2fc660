//! Tasks and mixtures (SPEC §1): op tokens, vocabulary size, shared split, examples.
//!
//! Facts from the reference (`train_emb.py`): a mixture is a comma-separated `fn_name`; one
//! split of pairs serves every task; each epoch builds, for each task in the listed order, the
//! examples of all train (then test) pairs in split order, and the training loss is the sum of
//! the per-task mean losses. Its pair filter for a whole mixture is `non_zero` if any name
//! contains `non_zero`, and `division` only when the mixture is exactly `division`; here a
//! mixture admits the pairs every one of its tasks admits, which agrees with the reference in
//! those cases and keeps `y = 0` out of a mixture containing division.

use super::ops::{Filter, Op};
use super::split::{Pairs, n_pairs, split_pairs, validate_p};
use crate::{Error, MAX_TASKS};

/// One example: input `[x, op token, y]` (context length 3), label `f(x, y) mod p`, and the
/// index of its task in the mixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Example {
    pub tokens: [u16; 3],
    pub label: u16,
    pub task: u8,
}

/// One task of a mixture: its operation and the op token its inputs carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub op: Op,
    pub token: u16,
}

/// A mixture of 1 to [`MAX_TASKS`] tasks over one prime p.
///
/// Tokens: the first task using a symbol gets the reference's token for it (`=` p, `+` p+1,
/// `-` p+2, `*` p+3, `/` p+4); any later task whose symbol's token is taken (two polynomials,
/// `multiply` with `multiply_non_zero`, a repeated name) gets the next fresh token p+5, p+6, …
/// `d_vocab` is p + 5 + the number of fresh tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tasks {
    p: u32,
    tasks: heapless::Vec<Task, MAX_TASKS>,
    d_vocab: usize,
}

impl Tasks {
    pub fn new(p: u32, ops: &[Op]) -> Result<Self, Error> {
        validate_p(p)?;
        if ops.is_empty() || ops.len() > MAX_TASKS {
            return Err(Error::BadTaskCount { n: ops.len() });
        }
        let mut taken = [false; 5];
        let mut n_fresh = 0u32;
        let mut tasks = heapless::Vec::new();
        for op in ops {
            let offset = op.symbol().offset();
            let token = if taken[offset as usize] {
                n_fresh += 1;
                p + 4 + n_fresh
            } else {
                taken[offset as usize] = true;
                p + offset
            };
            let token = u16::try_from(token).map_err(|_| Error::BadToken {
                token,
                d_vocab: u16::MAX as usize + 1,
            })?;
            let _ = tasks.push(Task {
                op: op.clone(),
                token,
            });
        }
        Ok(Tasks {
            p,
            tasks,
            d_vocab: (p + 5 + n_fresh) as usize,
        })
    }

    /// A comma-separated list of names or expressions, e.g. `add,subtract,x^2 + y`.
    pub fn parse(p: u32, list: &str) -> Result<Self, Error> {
        let n = list.split(',').count();
        if n > MAX_TASKS {
            return Err(Error::BadTaskCount { n });
        }
        let mut ops: heapless::Vec<Op, MAX_TASKS> = heapless::Vec::new();
        for item in list.split(',') {
            let _ = ops.push(Op::parse(item.trim_ascii())?);
        }
        Tasks::new(p, &ops)
    }

    pub fn p(&self) -> u32 {
        self.p
    }

    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// p + 5 + fresh tokens: the number of token ids and of output classes.
    pub fn d_vocab(&self) -> usize {
        self.d_vocab
    }

    /// The pairs every task admits.
    pub fn filter(&self) -> Filter {
        self.tasks
            .iter()
            .fold(Filter::ALL, |f, t| f.and(t.op.filter()))
    }

    /// Length of the pair buffer [`Tasks::split`] needs.
    pub fn n_pairs(&self, pairs: Pairs) -> usize {
        n_pairs(self.p, pairs, self.filter())
    }

    /// The shared split, see [`split_pairs`]; returns the train size. A mixture's operands are
    /// those of a single task of its p: tokens added for the mixture are never operands.
    pub fn split(
        &self,
        pairs: Pairs,
        frac: f64,
        seed: u64,
        buf: &mut [(u16, u16)],
    ) -> Result<usize, Error> {
        split_pairs(self.p, pairs, self.filter(), frac, seed, buf)
    }

    /// Number of examples [`Tasks::fill_examples`] writes for `n_pairs` pairs.
    pub fn n_examples(&self, n_pairs: usize) -> usize {
        n_pairs * self.tasks.len()
    }

    /// Writes `out[t · n + i] = ([x_i, token_t, y_i], f_t(x_i, y_i), t)` for task t in order and
    /// pair i of `pairs` (n = `pairs.len()`): task-major, pairs in the given order, as the
    /// reference builds each task's batch. Returns the count written. An operand outside
    /// `[0, p + 5)` (the widest range, [`Pairs::Reference`]) is a [`Error::BadToken`]; pairs a
    /// task does not admit are not checked.
    pub fn fill_examples(&self, pairs: &[(u16, u16)], out: &mut [Example]) -> Result<usize, Error> {
        let need = self.n_examples(pairs.len());
        if out.len() < need {
            return Err(Error::BufferTooSmall {
                need,
                got: out.len(),
            });
        }
        if let Some(bad) = pairs
            .iter()
            .flat_map(|&(x, y)| [x, y])
            .find(|&v| v as u32 >= Pairs::Reference.operands(self.p))
        {
            return Err(Error::BadToken {
                token: bad as u32,
                d_vocab: self.d_vocab,
            });
        }
        let n = pairs.len();
        for (t, task) in self.tasks.iter().enumerate() {
            for (i, &(x, y)) in pairs.iter().enumerate() {
                out[t * n + i] = Example {
                    tokens: [x, task.token, y],
                    label: task.op.eval(x as u32, y as u32, self.p) as u16,
                    task: t as u8,
                };
            }
        }
        Ok(need)
    }

    /// The task using `token`, if any.
    pub fn task_of_token(&self, token: u16) -> Option<usize> {
        self.tasks.iter().position(|t| t.token == token)
    }
}
