//! The token ids of the train and test examples as the kernels read them, and the metrics of
//! a logits readback.
use modgrok_core::data::Example;
use modgrok_core::model::{BlockStats, EvalStats, cross_entropy};

/// Offsets into the u32 arena.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ids {
    pub(super) train_tok: usize,
    pub(super) train_label: usize,
    pub(super) test_tok: usize,
    pub(super) starts: usize,
    pub(super) entries: usize,
}

/// The u32 arena: train tokens [N, 3] and labels [N], test tokens [N_test, 3], and for each
/// token t the train pairs (n, s) with `tokens[n][s] = t`, as `n·3 + s` ascending
/// (`entries[starts[t]..starts[t+1]]`).
pub(super) fn build_ids(voc: usize, train: &[Example], test: &[Example]) -> (Vec<u32>, Ids) {
    let mut out = Vec::with_capacity(7 * train.len() + 3 * test.len() + voc + 1);
    let tokens = |out: &mut Vec<u32>, ex: &[Example]| {
        let at = out.len();
        out.extend(ex.iter().flat_map(|e| e.tokens.map(u32::from)));
        at
    };
    let train_tok = tokens(&mut out, train);
    let train_label = out.len();
    out.extend(train.iter().map(|e| u32::from(e.label)));
    let test_tok = tokens(&mut out, test);
    let mut count = vec![0u32; voc + 1];
    for e in train {
        for &t in &e.tokens {
            count[t as usize + 1] += 1;
        }
    }
    for t in 0..voc {
        count[t + 1] += count[t];
    }
    let starts = out.len();
    out.extend_from_slice(&count);
    let entries = out.len();
    out.resize(entries + 3 * train.len(), 0);
    let mut next = count;
    for (n, e) in train.iter().enumerate() {
        for (s, &t) in e.tokens.iter().enumerate() {
            let slot = &mut next[t as usize];
            out[entries + *slot as usize] = (n * 3 + s) as u32;
            *slot += 1;
        }
    }
    let ids = Ids {
        train_tok,
        train_label,
        test_tok,
        starts,
        entries,
    };
    (out, ids)
}

/// Loss and accuracy per task from logits [n, V], with core's f64 cross-entropy, summed in
/// example order.
pub(super) fn eval_stats(logits: &[f32], ex: &[Example], voc: usize, n_tasks: usize) -> EvalStats {
    let mut sums = BlockStats::default();
    for (e, row) in ex.iter().zip(logits.chunks_exact(voc)) {
        let (loss, ok) = cross_entropy(row, e.label as usize, 1.0, None);
        let t = e.task as usize;
        sums.loss_sum[t] += loss;
        sums.correct[t] += ok as u32;
        sums.count[t] += 1;
    }
    EvalStats::from_sums(&sums, n_tasks)
}
