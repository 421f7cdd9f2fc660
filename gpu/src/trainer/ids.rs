//! The token ids of the train and test examples as the kernels read them, and the metrics of
//! a logits readback.
use modgrok_core::data::Example;
use modgrok_core::model::{BlockStats, EvalStats, cross_entropy};

/// Entries of a token's list summed by one invocation of a per-token gradient's first pass.
pub(super) const CHUNK: usize = 64;

/// The most chunks the lists of n train examples over `voc` tokens cut into: each token's list
/// of n_t entries makes ⌈n_t / CHUNK⌉, and Σ n_t = 3n.
pub(super) fn max_chunks(voc: usize, n: usize) -> usize {
    (3 * n).div_ceil(CHUNK) + voc
}

/// Offsets into the u32 arena.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Ids {
    pub(super) train_tok: usize,
    pub(super) train_label: usize,
    pub(super) test_tok: usize,
    pub(super) entries: usize,
    pub(super) chunk_starts: usize,
    pub(super) token_chunks: usize,
}

/// The u32 arena: train tokens [N, 3] and labels [N], test tokens [N_test, 3], and for each
/// token t the train pairs (n, s) with `tokens[n][s] = t`, as `n·3 + s` ascending. The lists
/// follow each other in `entries`, token by token, cut into chunks of at most [`CHUNK`]
/// entries that never cross tokens: chunk c is `entries[chunk_starts[c]..chunk_starts[c+1]]`,
/// and token t's chunks are `token_chunks[t]..token_chunks[t+1]`. `chunk_starts` has
/// `max_chunks + 1` slots whatever the data (the unused ones are empty chunks), so every run of
/// one shape has one layout.
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
    let entries = out.len();
    out.resize(entries + 3 * train.len(), 0);
    let mut next = count.clone();
    for (n, e) in train.iter().enumerate() {
        for (s, &t) in e.tokens.iter().enumerate() {
            let slot = &mut next[t as usize];
            out[entries + *slot as usize] = (n * 3 + s) as u32;
            *slot += 1;
        }
    }
    let mut chunk_starts = Vec::with_capacity(max_chunks(voc, train.len()) + 1);
    let mut token_chunks = Vec::with_capacity(voc + 1);
    for t in 0..voc {
        token_chunks.push(chunk_starts.len() as u32);
        chunk_starts.extend((count[t]..count[t + 1]).step_by(CHUNK));
    }
    token_chunks.push(chunk_starts.len() as u32);
    chunk_starts.resize(max_chunks(voc, train.len()) + 1, count[voc]);
    let chunk_at = out.len();
    out.extend_from_slice(&chunk_starts);
    let token_chunks_at = out.len();
    out.extend_from_slice(&token_chunks);
    let ids = Ids {
        train_tok,
        train_label,
        test_tok,
        entries,
        chunk_starts: chunk_at,
        token_chunks: token_chunks_at,
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
