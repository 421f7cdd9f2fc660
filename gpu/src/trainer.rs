//! The full-batch training step (SPEC §3, §4) as a fixed list of compute dispatches.
//!
//! Everything lives in one f32 arena on the device: θ, gradients, m, v, the per-token cache and
//! the per-example activations, at offsets fixed when the trainer is made. A step is
//!
//! 1. tokens: `q, k, v [V, H·d_head] = W_E^T W_{Q,K,V}^T`, `o[t, h] = W_O[:, h] v[t, h]` [V, H, D];
//! 2. examples (rows n of [N, ·]): attention at position 2 into `r`, `m = ReLU(r W_in^T)`,
//!    `r' = r + m W_out^T`, `logits = r' W_U`;
//! 3. `dl = dL/dlogits` (mean cross-entropy per task, summed over tasks);
//! 4. backward through unembed and MLP (`dr'`, `dpre`, `dr`) and the weight gradients
//!    `dW_U = r'^T dl`, `dW_out = dr'^T m`, `dW_in = dpre^T r`, each a sum over all N examples;
//! 5. per-token gradients `d_o, dq, dk, de` gathered over each token's examples, then
//!    `dv`, `dW_O`, `dW_Q`, `dW_K`, `dW_V` and `dW_E` as sums over the vocabulary;
//! 6. AdamW per tensor.
//!
//! Every value is written by one invocation that adds its terms in a fixed order (k ascending
//! in matmuls, examples ascending in gathers); there are no atomics. So the same inputs on the
//! same adapter and driver give the same bits, while another adapter may round differently
//! (fused multiply-add, `exp` and `sqrt` accuracy) and is only close to core (SPEC §6).
use std::num::NonZeroU64;
use std::sync::mpsc;

use modgrok_core::Error;
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::Example;
use modgrok_core::model::{
    BlockStats, EvalStats, ModelConfig, N_TENSORS, Param, cross_entropy, task_scales,
};

use crate::{GpuContext, GpuError};

const TILE: usize = 16;
const LOCAL: usize = 64;
/// Bytes per uniform block; a multiple of every adapter's uniform offset alignment (≤ 256).
const SLOT: usize = 256;
const SLOT_WORDS: usize = SLOT / 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Matmul,
    MatmulDirect,
    AttnScores,
    AttnResid,
    AttnBwd,
    CeGrad,
    TokDo,
    TokDq,
    TokDk,
    TokDe,
    AdamW,
}

const COMMON: &str = include_str!("shaders/common.wgsl");

impl Kernel {
    const ALL: [Kernel; 11] = [
        Kernel::Matmul,
        Kernel::MatmulDirect,
        Kernel::AttnScores,
        Kernel::AttnResid,
        Kernel::AttnBwd,
        Kernel::CeGrad,
        Kernel::TokDo,
        Kernel::TokDq,
        Kernel::TokDk,
        Kernel::TokDe,
        Kernel::AdamW,
    ];

    fn source(self) -> (&'static str, &'static str) {
        match self {
            Kernel::Matmul => (include_str!("shaders/matmul.wgsl"), "matmul"),
            Kernel::MatmulDirect => (include_str!("shaders/matmul.wgsl"), "matmul_direct"),
            Kernel::AttnScores => (include_str!("shaders/attention.wgsl"), "attn_scores"),
            Kernel::AttnResid => (include_str!("shaders/attention.wgsl"), "attn_resid"),
            Kernel::AttnBwd => (include_str!("shaders/attention.wgsl"), "attn_bwd"),
            Kernel::CeGrad => (include_str!("shaders/loss.wgsl"), "ce_grad"),
            Kernel::TokDo => (include_str!("shaders/tokens.wgsl"), "tok_do"),
            Kernel::TokDq => (include_str!("shaders/tokens.wgsl"), "tok_dq"),
            Kernel::TokDk => (include_str!("shaders/tokens.wgsl"), "tok_dk"),
            Kernel::TokDe => (include_str!("shaders/tokens.wgsl"), "tok_de"),
            Kernel::AdamW => (include_str!("shaders/adamw.wgsl"), "adamw"),
        }
    }
}

/// Offsets (in f32 elements) of the regions of the arena. Per-example regions have `rows`
/// rows, enough for the train or the test set.
#[derive(Debug, Clone, Copy)]
struct Arena {
    params: usize,
    grads: usize,
    m: usize,
    v: usize,
    /// q, k, v [V, H·d_head]; o, d_o [V, H, D]; dq, dk, dv [V, H·d_head]; de [V, D].
    q: usize,
    k: usize,
    vv: usize,
    o: usize,
    d_o: usize,
    dq: usize,
    dk: usize,
    dv: usize,
    de: usize,
    /// a, g [rows, H, 3]; r, rr, drr, dr [rows, D]; mh, dpre [rows, M]; logits, dl [rows, V];
    /// scale [N_train] (each example's weight 1/N_task).
    a: usize,
    g: usize,
    r: usize,
    mh: usize,
    rr: usize,
    logits: usize,
    dl: usize,
    drr: usize,
    dpre: usize,
    dr: usize,
    scale: usize,
    len: usize,
}

impl Arena {
    fn new(cfg: &ModelConfig, rows: usize, n_train: usize) -> Arena {
        let (voc, d, h, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_mlp);
        let hd = h * cfg.d_head;
        let p = cfg.n_params();
        let mut at = 0;
        let mut take = |n: usize| {
            let off = at;
            at += n;
            off
        };
        let mut a = Arena {
            params: take(p),
            grads: take(p),
            m: take(p),
            v: take(p),
            q: take(voc * hd),
            k: take(voc * hd),
            vv: take(voc * hd),
            o: take(voc * h * d),
            d_o: take(voc * h * d),
            dq: take(voc * hd),
            dk: take(voc * hd),
            dv: take(voc * hd),
            de: take(voc * d),
            a: take(rows * h * 3),
            g: take(rows * h * 3),
            r: take(rows * d),
            mh: take(rows * m),
            rr: take(rows * d),
            logits: take(rows * voc),
            dl: take(rows * voc),
            drr: take(rows * d),
            dpre: take(rows * m),
            dr: take(rows * d),
            scale: take(n_train),
            len: 0,
        };
        a.len = at;
        a
    }
}

/// An operand of [`Recorder::matmul`]: element (b, x, y) at `off + b·sb + x·s0 + y·s1`.
#[derive(Debug, Clone, Copy)]
struct View {
    off: usize,
    s0: usize,
    s1: usize,
    sb: usize,
}

const fn view(off: usize, s0: usize, s1: usize) -> View {
    View { off, s0, s1, sb: 0 }
}

/// What the matmul kernel does with each accumulated value.
#[derive(Debug, Clone, Copy)]
enum Epilogue {
    Store,
    Relu,
    /// `C = X + acc`.
    Add(View),
    /// `C = acc` where `X > 0`, else 0 (ReLU's backward, X = the ReLU output).
    Mask(View),
}

#[derive(Debug, Clone, Copy)]
struct Op {
    kernel: Kernel,
    slot: usize,
    groups: [u32; 3],
}

/// Collects dispatches and their uniform blocks before any GPU object exists.
#[derive(Default)]
struct Recorder {
    words: Vec<u32>,
    /// A value or a workgroup count past what u32 or the adapter allows.
    overflow: bool,
    /// Use `matmul_direct` instead of the tiled `matmul`.
    direct: bool,
}

impl Recorder {
    fn push(&mut self, kernel: Kernel, words: &[usize], groups: [usize; 3], ops: &mut Vec<Op>) {
        let slot = self.words.len() / SLOT_WORDS;
        let mut block = [0u32; SLOT_WORDS];
        for (w, &x) in block.iter_mut().zip(words) {
            *w = u32::try_from(x).unwrap_or_else(|_| {
                self.overflow = true;
                0
            });
        }
        self.words.extend_from_slice(&block);
        let groups = groups.map(|g| {
            if g > 65_535 {
                self.overflow = true;
            }
            g.min(65_535) as u32
        });
        ops.push(Op {
            kernel,
            slot,
            groups,
        });
    }

    /// `C[b, i, j] = epilogue(Σ_k A[b, i, k] B[b, k, j])` for i < m, j < n, k < kd, b < batch.
    #[allow(clippy::too_many_arguments)]
    fn matmul(
        &mut self,
        ops: &mut Vec<Op>,
        [m, n, kd, batch]: [usize; 4],
        a: View,
        b: View,
        c: View,
        epi: Epilogue,
    ) {
        let (mode, x) = match epi {
            Epilogue::Store => (0, c),
            Epilogue::Relu => (1, c),
            Epilogue::Add(x) => (2, x),
            Epilogue::Mask(x) => (3, x),
        };
        let words = [
            m, n, kd, mode, a.off, a.s0, a.s1, a.sb, b.off, b.s0, b.s1, b.sb, c.off, c.s0, c.s1,
            c.sb, x.off, x.s0, x.s1, x.sb,
        ];
        if self.direct {
            let groups = [n.div_ceil(32), m.div_ceil(32), batch];
            self.push(Kernel::MatmulDirect, &words, groups, ops);
        } else {
            let groups = [n.div_ceil(TILE), m.div_ceil(TILE), batch];
            self.push(Kernel::Matmul, &words, groups, ops);
        }
    }

    /// A one-dimensional kernel over `count` invocations.
    fn flat(&mut self, ops: &mut Vec<Op>, kernel: Kernel, words: &[usize], count: usize) {
        let g = count.div_ceil(LOCAL).max(1);
        let gx = g.min(65_535);
        self.push(kernel, words, [gx, g.div_ceil(gx), 1], ops);
    }
}

/// Offsets into the u32 arena.
#[derive(Debug, Clone, Copy)]
struct Ids {
    train_tok: usize,
    train_label: usize,
    test_tok: usize,
    starts: usize,
    entries: usize,
}

/// The u32 arena: train tokens [N, 3] and labels [N], test tokens [N_test, 3], and for each
/// token t the train pairs (n, s) with `tokens[n][s] = t`, as `n·3 + s` ascending
/// (`entries[starts[t]..starts[t+1]]`).
fn build_ids(voc: usize, train: &[Example], test: &[Example]) -> (Vec<u32>, Ids) {
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
fn eval_stats(logits: &[f32], ex: &[Example], voc: usize, n_tasks: usize) -> EvalStats {
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

struct Dispatch {
    kernel: Kernel,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

/// A model, its optimizer state and its data on one device, stepping without coming back to
/// the host until asked for metrics or state.
pub struct GpuTrainer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: String,
    cfg: ModelConfig,
    hyper: AdamWConfig,
    n_tasks: usize,
    train: Vec<Example>,
    test: Vec<Example>,
    arena: Arena,
    mem: wgpu::Buffer,
    staging: wgpu::Buffer,
    uniforms: wgpu::Buffer,
    pipelines: Vec<wgpu::ComputePipeline>,
    train_pass: Vec<Dispatch>,
    test_pass: Vec<Dispatch>,
    adam_pass: Vec<Dispatch>,
    adam_slots: Vec<usize>,
    in_flight: std::collections::VecDeque<wgpu::SubmissionIndex>,
}

impl GpuTrainer {
    /// Uploads θ, m, v (each `cfg.n_params()` long, core's layout) and the examples. `frozen`
    /// tensors get no update and no weight decay, as in core's `adamw_step`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &GpuContext,
        cfg: &ModelConfig,
        hyper: &AdamWConfig,
        frozen: &[bool; N_TENSORS],
        train: &[Example],
        test: &[Example],
        n_tasks: usize,
        state: [&[f32]; 3],
    ) -> Result<GpuTrainer, GpuError> {
        cfg.validate()?;
        hyper.validate()?;
        let n_params = cfg.n_params();
        for s in state {
            if s.len() != n_params {
                return Err(Error::BufferTooSmall {
                    need: n_params,
                    got: s.len(),
                }
                .into());
            }
        }
        let task_weight = task_scales(cfg, train, n_tasks)?;
        task_scales(cfg, test, n_tasks)?;
        let scales: Vec<f32> = train
            .iter()
            .map(|e| task_weight[e.task as usize] as f32)
            .collect();
        let adapter = ctx.adapter_name();
        let rows = train.len().max(test.len()).max(1);
        let arena = Arena::new(cfg, rows, train.len());
        let (ids, id) = build_ids(cfg.d_vocab, train, test);
        let limits = ctx.device.limits();
        let staging_len = ((train.len() + test.len()) * cfg.d_vocab).max(3 * n_params);
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        for need in [arena.len, ids.len(), staging_len] {
            let need = 4 * need as u64;
            if need > max || need > u32::MAX as u64 {
                return Err(GpuError::TooLarge {
                    adapter,
                    need,
                    max: max.min(u32::MAX as u64),
                });
            }
        }
        if !(SLOT as u32).is_multiple_of(limits.min_uniform_buffer_offset_alignment) {
            return Err(GpuError::Device {
                adapter,
                reason: format!(
                    "uniform offset alignment {} does not divide {SLOT}",
                    limits.min_uniform_buffer_offset_alignment
                ),
            });
        }

        let mut rec = Recorder {
            direct: match std::env::var("MODGROK_GPU_MATMUL").as_deref() {
                Ok("tiled") => false,
                Ok("direct") => true,
                _ => ctx.is_cpu(),
            },
            ..Recorder::default()
        };
        let mut train_ops = Vec::new();
        let mut test_ops = Vec::new();
        let mut adam_ops = Vec::new();
        record_train(&mut rec, &mut train_ops, cfg, &arena, &id, train.len());
        record_examples_forward(
            &mut rec,
            &mut test_ops,
            cfg,
            &arena,
            id.test_tok,
            test.len(),
        );
        let adam_slots = record_adamw(&mut rec, &mut adam_ops, cfg, &arena, frozen);
        if rec.overflow {
            return Err(GpuError::TooLarge {
                adapter,
                need: u64::MAX,
                max: u32::MAX as u64,
            });
        }

        let device = ctx.device.clone();
        let queue = ctx.queue.clone();
        let mem = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok arena"),
            size: 4 * arena.len as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let ids_buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok ids"),
            size: 4 * ids.len().max(1) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok readback"),
            size: 4 * staging_len as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok uniforms"),
            size: 4 * rec.words.len().max(SLOT_WORDS) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        queue.write_buffer(&uniforms, 0, &u32_bytes(&rec.words));
        queue.write_buffer(&ids_buf, 0, &u32_bytes(&ids));
        for (s, at) in state.iter().zip([arena.params, arena.m, arena.v]) {
            queue.write_buffer(&mem, 4 * at as u64, &f32_bytes(s));
        }
        queue.write_buffer(&mem, 4 * arena.scale as u64, &f32_bytes(&scales));

        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("modgrok"),
            entries: &[
                storage_entry(0, false),
                storage_entry(1, true),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: NonZeroU64::new(SLOT as u64),
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("modgrok"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let mut modules: Vec<(&str, wgpu::ShaderModule)> = Vec::new();
        let mut pipelines = Vec::new();
        for k in Kernel::ALL {
            let (src, entry) = k.source();
            if !modules.iter().any(|(s, _)| std::ptr::eq(*s, src)) {
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(entry),
                    source: wgpu::ShaderSource::Wgsl(format!("{COMMON}\n{src}").into()),
                });
                modules.push((src, module));
            }
            let module = &modules
                .iter()
                .find(|(s, _)| std::ptr::eq(*s, src))
                .expect("module was just added")
                .1;
            pipelines.push(
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pipeline_layout),
                    module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                }),
            );
        }
        let bind = |ops: &[Op]| -> Vec<Dispatch> {
            ops.iter()
                .map(|op| Dispatch {
                    kernel: op.kernel,
                    groups: op.groups,
                    bind: device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: None,
                        layout: &layout,
                        entries: &[
                            wgpu::BindGroupEntry {
                                binding: 0,
                                resource: mem.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 1,
                                resource: ids_buf.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 2,
                                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                    buffer: &uniforms,
                                    offset: (op.slot * SLOT) as u64,
                                    size: NonZeroU64::new(SLOT as u64),
                                }),
                            },
                        ],
                    }),
                })
                .collect()
        };
        let train_pass = bind(&train_ops);
        let test_pass = bind(&test_ops);
        let adam_pass = bind(&adam_ops);
        Ok(GpuTrainer {
            device,
            queue,
            adapter,
            cfg: *cfg,
            hyper: *hyper,
            n_tasks,
            train: train.to_vec(),
            test: test.to_vec(),
            arena,
            mem,
            staging,
            uniforms,
            pipelines,
            train_pass,
            test_pass,
            adam_pass,
            adam_slots,
            in_flight: Default::default(),
        })
    }

    /// The adapter the trainer runs on, as [`GpuContext::adapter_name`] gives it.
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    fn encode(&self, enc: &mut wgpu::CommandEncoder, pass: &[Dispatch]) {
        let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        for d in pass {
            cp.set_pipeline(&self.pipelines[d.kernel as usize]);
            cp.set_bind_group(0, &d.bind, &[]);
            cp.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
    }

    /// Submits and keeps at most two submissions queued, so the host never runs far ahead.
    fn submit(&mut self, enc: wgpu::CommandEncoder) -> Result<(), GpuError> {
        let idx = self.queue.submit([enc.finish()]);
        self.in_flight.push_back(idx);
        while self.in_flight.len() > 2 {
            let oldest = self.in_flight.pop_front();
            self.wait(oldest)?;
        }
        Ok(())
    }

    fn wait(&self, idx: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: idx,
                timeout: None,
            })
            .map(|_| ())
            .map_err(|e| self.lost(e.to_string()))
    }

    fn lost(&self, reason: String) -> GpuError {
        GpuError::Lost {
            adapter: self.adapter.clone(),
            reason,
        }
    }

    /// Forward and backward of the train set at the current θ: logits and every gradient stay
    /// on the device (read them with [`Self::train_logits`], [`Self::gradients`],
    /// [`Self::metrics`]).
    pub fn forward_backward(&mut self) -> Result<(), GpuError> {
        let mut enc = self.encoder();
        self.encode(&mut enc, &self.train_pass);
        self.submit(enc)
    }

    /// Runs the train pass one dispatch at a time, waiting after each: (kernel, seconds), for
    /// finding the slow kernel on a new adapter.
    #[doc(hidden)]
    pub fn profile_train_pass(&mut self) -> Result<Vec<(String, f64)>, GpuError> {
        let mut out = Vec::new();
        for d in &self.train_pass {
            let start = std::time::Instant::now();
            let mut enc = self.encoder();
            self.encode(&mut enc, std::slice::from_ref(d));
            let idx = self.queue.submit([enc.finish()]);
            self.wait(Some(idx))?;
            out.push((
                format!("{:?} {:?}", d.kernel, d.groups),
                start.elapsed().as_secs_f64(),
            ));
        }
        Ok(out)
    }

    /// AdamW update number `t` (1, 2, …) with the gradients of the last
    /// [`Self::forward_backward`].
    pub fn update(&mut self, t: u64) -> Result<(), GpuError> {
        let h = &self.hyper;
        let t = t.max(1);
        let bc1 = 1.0 - h.beta1.powf(t as f64);
        let bc2 = 1.0 - h.beta2.powf(t as f64);
        let scalars = [
            (1.0 - h.lr * h.weight_decay) as f32,
            (1.0 - h.beta1) as f32,
            h.beta2 as f32,
            (1.0 - h.beta2) as f32,
            (-(h.lr / bc1)) as f32,
            bc2.sqrt() as f32,
            h.eps as f32,
            0.0,
        ];
        let bytes = f32_bytes(&scalars);
        for &slot in &self.adam_slots {
            self.queue
                .write_buffer(&self.uniforms, (slot * SLOT + 32) as u64, &bytes);
        }
        let mut enc = self.encoder();
        self.encode(&mut enc, &self.adam_pass);
        self.submit(enc)
    }

    /// Train and test loss and accuracy per task at the θ of the last
    /// [`Self::forward_backward`]: the test set's forward runs now, and both sets' logits come
    /// back to go through core's f64 cross-entropy (SPEC §4).
    pub fn metrics(&mut self) -> Result<(EvalStats, EvalStats), GpuError> {
        let voc = self.cfg.d_vocab;
        let (n_tr, n_te) = (self.train.len() * voc, self.test.len() * voc);
        let mut enc = self.encoder();
        enc.copy_buffer_to_buffer(
            &self.mem,
            4 * self.arena.logits as u64,
            &self.staging,
            0,
            4 * n_tr as u64,
        );
        self.encode(&mut enc, &self.test_pass);
        enc.copy_buffer_to_buffer(
            &self.mem,
            4 * self.arena.logits as u64,
            &self.staging,
            4 * n_tr as u64,
            4 * n_te as u64,
        );
        let all = self.finish_read(enc, n_tr + n_te)?;
        let train = eval_stats(&all[..n_tr], &self.train, voc, self.n_tasks);
        let test = eval_stats(&all[n_tr..], &self.test, voc, self.n_tasks);
        Ok((train, test))
    }

    /// Copies arena regions `(offset, len)` back, concatenated.
    fn read(&mut self, regions: &[(usize, usize)]) -> Result<Vec<f32>, GpuError> {
        let mut enc = self.encoder();
        let mut at = 0;
        for &(off, len) in regions {
            enc.copy_buffer_to_buffer(
                &self.mem,
                4 * off as u64,
                &self.staging,
                4 * at as u64,
                4 * len as u64,
            );
            at += len;
        }
        self.finish_read(enc, at)
    }

    fn finish_read(&mut self, enc: wgpu::CommandEncoder, len: usize) -> Result<Vec<f32>, GpuError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let idx = self.queue.submit([enc.finish()]);
        let bytes = 4 * len as u64;
        let slice = self.staging.slice(..bytes);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait(Some(idx))?;
        self.in_flight.clear();
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(self.lost(e.to_string())),
            Err(e) => return Err(self.lost(e.to_string())),
        }
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| self.lost(e.to_string()))?;
            view.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        self.staging.unmap();
        Ok(out)
    }

    /// θ in core's layout.
    pub fn params(&mut self) -> Result<Vec<f32>, GpuError> {
        let n = self.cfg.n_params();
        self.read(&[(self.arena.params, n)])
    }

    /// θ, m and v in core's layout.
    pub fn state(&mut self) -> Result<[Vec<f32>; 3], GpuError> {
        let n = self.cfg.n_params();
        let a = self.arena;
        let all = self.read(&[(a.params, n), (a.m, n), (a.v, n)])?;
        Ok([
            all[..n].to_vec(),
            all[n..2 * n].to_vec(),
            all[2 * n..].to_vec(),
        ])
    }

    /// The gradient of the last [`Self::forward_backward`], in core's layout.
    pub fn gradients(&mut self) -> Result<Vec<f32>, GpuError> {
        let n = self.cfg.n_params();
        self.read(&[(self.arena.grads, n)])
    }

    /// Train logits [N, V] of the last [`Self::forward_backward`] (before any
    /// [`Self::metrics`], which reuses the activations for the test set).
    pub fn train_logits(&mut self) -> Result<Vec<f32>, GpuError> {
        let n = self.train.len() * self.cfg.d_vocab;
        self.read(&[(self.arena.logits, n)])
    }
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn u32_bytes(x: &[u32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f32_bytes(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Parameter offsets in the arena.
struct P {
    w_e: usize,
    w_q: usize,
    w_k: usize,
    w_v: usize,
    w_o: usize,
    w_in: usize,
    w_out: usize,
    w_u: usize,
}

fn tensor_offsets(cfg: &ModelConfig, base: usize) -> P {
    let at = |p: Param| base + cfg.tensor(p).offset;
    P {
        w_e: at(Param::WE),
        w_q: at(Param::WQ),
        w_k: at(Param::WK),
        w_v: at(Param::WV),
        w_o: at(Param::WO),
        w_in: at(Param::WIn),
        w_out: at(Param::WOut),
        w_u: at(Param::WU),
    }
}

fn attn_words(cfg: &ModelConfig, a: &Arena, tok: usize, n: usize) -> [usize; 16] {
    let w = tensor_offsets(cfg, a.params);
    let sqrt_dh = ((cfg.d_head as f64).sqrt() as f32).to_bits() as usize;
    [
        n,
        tok,
        cfg.d_model,
        cfg.n_heads,
        cfg.d_head,
        cfg.d_vocab,
        a.q,
        a.k,
        a.o,
        w.w_e,
        a.a,
        a.r,
        a.dr,
        a.g,
        sqrt_dh,
        0,
    ]
}

/// Step 2 for `n` examples whose tokens start at `tok` in the u32 arena (the token cache must
/// hold the current θ's q, k, o).
fn record_examples_forward(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    tok: usize,
    n: usize,
) {
    let (voc, d, h, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_mlp);
    let w = tensor_offsets(cfg, a.params);
    let aw = attn_words(cfg, a, tok, n);
    rec.flat(ops, Kernel::AttnScores, &aw, n * h);
    rec.flat(ops, Kernel::AttnResid, &aw, n * d);
    rec.matmul(
        ops,
        [n, m, d, 1],
        view(a.r, d, 1),
        view(w.w_in, 1, d),
        view(a.mh, m, 1),
        Epilogue::Relu,
    );
    rec.matmul(
        ops,
        [n, d, m, 1],
        view(a.mh, m, 1),
        view(w.w_out, 1, m),
        view(a.rr, d, 1),
        Epilogue::Add(view(a.r, d, 1)),
    );
    rec.matmul(
        ops,
        [n, voc, d, 1],
        view(a.rr, d, 1),
        view(w.w_u, voc, 1),
        view(a.logits, voc, 1),
        Epilogue::Store,
    );
}

/// Steps 1–5 over the `n` train examples.
fn record_train(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    id: &Ids,
    n: usize,
) {
    let (voc, d, h, dh, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp);
    let hd = h * dh;
    let w = tensor_offsets(cfg, a.params);
    let gw = tensor_offsets(cfg, a.grads);

    // 1. q, k, v [V, H·d_head] = W_E^T W^T; o[t, h, :] = W_O[:, h·d_head..] v[t, h, :].
    // W_Q, W_K, W_V follow each other in θ, as q, k, v do in the arena: one batch of three.
    rec.matmul(
        ops,
        [voc, hd, d, 3],
        view(w.w_e, 1, voc),
        View {
            off: w.w_q,
            s0: 1,
            s1: d,
            sb: w.w_k - w.w_q,
        },
        View {
            off: a.q,
            s0: hd,
            s1: 1,
            sb: a.k - a.q,
        },
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [voc, d, dh, h],
        View {
            off: a.vv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: w.w_o,
            s0: 1,
            s1: hd,
            sb: dh,
        },
        View {
            off: a.o,
            s0: h * d,
            s1: 1,
            sb: d,
        },
        Epilogue::Store,
    );

    // 2–3.
    record_examples_forward(rec, ops, cfg, a, id.train_tok, n);
    let ce = [n, voc, a.logits, a.dl, a.scale, id.train_label];
    rec.flat(ops, Kernel::CeGrad, &ce, n);

    // 4. dr' = dl W_U^T; dpre = (dr' W_out) ⊙ [m > 0]; dr = dr' + dpre W_in.
    rec.matmul(
        ops,
        [n, d, voc, 1],
        view(a.dl, voc, 1),
        view(w.w_u, 1, voc),
        view(a.drr, d, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [n, m, d, 1],
        view(a.drr, d, 1),
        view(w.w_out, m, 1),
        view(a.dpre, m, 1),
        Epilogue::Mask(view(a.mh, m, 1)),
    );
    rec.matmul(
        ops,
        [n, d, m, 1],
        view(a.dpre, m, 1),
        view(w.w_in, d, 1),
        view(a.dr, d, 1),
        Epilogue::Add(view(a.drr, d, 1)),
    );
    // dW_U = r'^T dl [D, V]; dW_out = dr'^T m [D, M]; dW_in = dpre^T r [M, D]: sums over n.
    rec.matmul(
        ops,
        [d, voc, n, 1],
        view(a.rr, 1, d),
        view(a.dl, voc, 1),
        view(gw.w_u, voc, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [d, m, n, 1],
        view(a.drr, 1, d),
        view(a.mh, m, 1),
        view(gw.w_out, m, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [m, d, n, 1],
        view(a.dpre, 1, m),
        view(a.r, d, 1),
        view(gw.w_in, d, 1),
        Epilogue::Store,
    );

    // 5. Attention backward per example, then per token.
    let aw = attn_words(cfg, a, id.train_tok, n);
    rec.flat(ops, Kernel::AttnBwd, &aw, n * h);
    let tw = [
        voc,
        d,
        h,
        dh,
        id.starts,
        id.entries,
        id.train_tok,
        a.a,
        a.g,
        a.dr,
        a.q,
        a.k,
        a.d_o,
        a.dq,
        a.dk,
        a.de,
    ];
    rec.flat(ops, Kernel::TokDo, &tw, voc * h * d);
    rec.flat(ops, Kernel::TokDq, &tw, voc * hd);
    rec.flat(ops, Kernel::TokDk, &tw, voc * hd);
    rec.flat(ops, Kernel::TokDe, &tw, voc * d);
    // dv[t, h, :] = W_O[:, h·d_head..]^T d_o[t, h, :]; dW_O[:, h·d_head + j] = Σ_t d_o[t, h, :] v[t, h, j].
    rec.matmul(
        ops,
        [voc, dh, d, h],
        View {
            off: a.d_o,
            s0: h * d,
            s1: 1,
            sb: d,
        },
        View {
            off: w.w_o,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: a.dv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [d, dh, voc, h],
        View {
            off: a.d_o,
            s0: 1,
            s1: h * d,
            sb: d,
        },
        View {
            off: a.vv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: gw.w_o,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        Epilogue::Store,
    );
    // dW_{Q,K,V}[h·d_head + j, c] = Σ_t d{q,k,v}[t, h, j] W_E[c, t].
    rec.matmul(
        ops,
        [hd, d, voc, 3],
        View {
            off: a.dq,
            s0: 1,
            s1: hd,
            sb: a.dk - a.dq,
        },
        view(w.w_e, 1, voc),
        View {
            off: gw.w_q,
            s0: d,
            s1: 1,
            sb: gw.w_k - gw.w_q,
        },
        Epilogue::Store,
    );
    // dW_E[c, t] = de[t, c] + Σ_{x = q, k, v} Σ_{h, j} dx[t, h, j] W_X[h, j, c].
    let dwe = view(gw.w_e, 1, voc);
    for (i, (dx, w_x)) in [(a.dq, w.w_q), (a.dk, w.w_k), (a.dv, w.w_v)]
        .into_iter()
        .enumerate()
    {
        let base = if i == 0 { view(a.de, d, 1) } else { dwe };
        rec.matmul(
            ops,
            [voc, d, hd, 1],
            view(dx, hd, 1),
            view(w_x, d, 1),
            dwe,
            Epilogue::Add(base),
        );
    }
}

/// Step 6: one AdamW dispatch per run of adjacent tensors not frozen. Returns the uniform slots whose scalars
/// change every step.
fn record_adamw(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    frozen: &[bool; N_TENSORS],
) -> Vec<usize> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for info in cfg.tensors() {
        if frozen[info.param as usize] {
            continue;
        }
        match ranges.last_mut() {
            Some((start, len)) if *start + *len == info.offset => *len += info.len(),
            _ => ranges.push((info.offset, info.len())),
        }
    }
    let mut slots = Vec::new();
    for (o, len) in ranges {
        let words = [len, a.params + o, a.grads + o, a.m + o, a.v + o];
        slots.push(rec.words.len() / SLOT_WORDS);
        rec.flat(ops, Kernel::AdamW, &words, len);
    }
    slots
}
