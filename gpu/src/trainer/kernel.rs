//! The compute kernels: one WGSL entry point each, with the shared declarations of
//! `common.wgsl`, and the workgroup sizes the recorder assumes.
use std::num::NonZeroU64;

/// The side of the C tile of one workgroup of the tiled matmul.
pub(super) const TILE: usize = 64;
pub(super) const LOCAL: usize = 64;
/// Bytes per uniform block; a multiple of every adapter's uniform offset alignment (≤ 256).
pub(super) const SLOT: usize = 256;
pub(super) const SLOT_WORDS: usize = SLOT / 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Matmul,
    MatmulDirect,
    MatmulSum,
    AttnScores,
    AttnBwd,
    AttnBwdDirect,
    Fold,
    CeGrad,
    TokSumPart,
    TokQkPart,
    TokReduce,
    AdamW,
}

pub(super) const COMMON: &str = include_str!("../shaders/common.wgsl");

impl Kernel {
    pub(super) const ALL: [Kernel; 12] = [
        Kernel::Matmul,
        Kernel::MatmulDirect,
        Kernel::MatmulSum,
        Kernel::AttnScores,
        Kernel::AttnBwd,
        Kernel::AttnBwdDirect,
        Kernel::Fold,
        Kernel::CeGrad,
        Kernel::TokSumPart,
        Kernel::TokQkPart,
        Kernel::TokReduce,
        Kernel::AdamW,
    ];

    pub(super) fn source(self) -> (&'static str, &'static str) {
        match self {
            Kernel::Matmul => (include_str!("../shaders/matmul.wgsl"), "matmul"),
            Kernel::MatmulDirect => (include_str!("../shaders/matmul.wgsl"), "matmul_direct"),
            Kernel::MatmulSum => (include_str!("../shaders/matmul.wgsl"), "matmul_sum"),
            Kernel::AttnScores => (include_str!("../shaders/attention.wgsl"), "attn_scores"),
            Kernel::AttnBwd => (include_str!("../shaders/attention.wgsl"), "attn_bwd"),
            Kernel::AttnBwdDirect => (include_str!("../shaders/attention.wgsl"), "attn_bwd_direct"),
            Kernel::Fold => (include_str!("../shaders/fold.wgsl"), "fold"),
            Kernel::CeGrad => (include_str!("../shaders/loss.wgsl"), "ce_grad"),
            Kernel::TokSumPart => (include_str!("../shaders/tokens.wgsl"), "tok_sum_part"),
            Kernel::TokQkPart => (include_str!("../shaders/tokens.wgsl"), "tok_qk_part"),
            Kernel::TokReduce => (include_str!("../shaders/tokens.wgsl"), "tok_reduce"),
            Kernel::AdamW => (include_str!("../shaders/adamw.wgsl"), "adamw"),
        }
    }
}

/// Every kernel's pipeline (indexed by [`Kernel`]) and the bind group layout they share,
/// compiled once for a device ([`crate::GpuContext`] keeps them for each trainer it makes).
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(super) layout: wgpu::BindGroupLayout,
    pub(super) pipelines: Vec<wgpu::ComputePipeline>,
}

impl Compiled {
    pub(crate) fn new(device: &wgpu::Device) -> Compiled {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("modgrok"),
            entries: &[
                storage_entry(0, false),
                storage_entry(1, true),
                uniform_entry(2, SLOT as u64),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: NonZeroU64::new(16),
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
        Compiled { layout, pipelines }
    }
}

fn uniform_entry(binding: u32, size: u64) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: NonZeroU64::new(size),
        },
        count: None,
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
