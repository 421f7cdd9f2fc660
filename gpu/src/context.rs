//! Opening a wgpu adapter and device.
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use crate::GpuError;
use crate::trainer::Compiled;

/// A wgpu device and its queue, with the adapter's description.
#[derive(Clone)]
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    /// The kernels for CPU adapters (true) or GPUs (false), where set.
    cpu_kernels: Option<bool>,
    /// The pipelines, compiled by the first trainer and shared by the clones of this context,
    /// so that a batch rebuilt as runs join and leave does not compile them again.
    compiled: Arc<OnceLock<Compiled>>,
}

impl GpuContext {
    /// Opens the highest-performance adapter wgpu finds (Vulkan on Linux, Metal on macOS, DX12
    /// on Windows; a CPU adapter such as lavapipe when there is nothing else), with the
    /// adapter's own limits so that large buffers fit.
    pub fn new() -> Result<GpuContext, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let desc = wgpu::DeviceDescriptor {
            label: Some("modgrok"),
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) =
            block_on(adapter.request_device(&desc)).map_err(|e| GpuError::Device {
                adapter: describe(&info),
                reason: e.to_string(),
            })?;
        Ok(GpuContext {
            device,
            queue,
            info,
            cpu_kernels: None,
            compiled: Arc::default(),
        })
    }

    /// The largest buffer a trainer may bind, in bytes: the adapter's storage-binding and buffer
    /// limits, and the 2^32 − 1 bytes the shaders' u32 offsets reach.
    pub fn max_binding_bytes(&self) -> u64 {
        let l = self.device.limits();
        l.max_storage_buffer_binding_size
            .min(l.max_buffer_size)
            .min(u32::MAX as u64)
    }

    /// For tests: the context, or `None` after printing one line saying why `test` is skipped
    /// when no adapter exists. With `MODGROK_REQUIRE_GPU=1` (as CI sets it) a missing adapter
    /// is a failure instead: the test panics with the reason.
    pub fn or_skip(test: &str) -> Option<GpuContext> {
        match GpuContext::new() {
            Ok(ctx) => Some(ctx),
            Err(e) if std::env::var("MODGROK_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
                panic!("{test}: MODGROK_REQUIRE_GPU=1 but {e}")
            }
            Err(e) => {
                println!("skipped {test}: {e}");
                None
            }
        }
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled::new(&self.device))
    }

    /// The adapter as a person reads it: name, API and driver, e.g.
    /// `llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, llvmpipe, Mesa 22.3.6)`.
    pub fn adapter_name(&self) -> String {
        describe(&self.info)
    }

    /// True for a software adapter (lavapipe, WARP, SwiftShader).
    pub fn is_cpu(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// This context's trainers with the kernels for CPU adapters (`true`: no workgroup memory)
    /// or for GPUs (`false`: tiles and workgroup reductions), whatever the adapter. Both add in
    /// the same orders, so a run's bits do not depend on the choice; only its speed does.
    pub fn with_cpu_kernels(mut self, cpu: bool) -> GpuContext {
        self.cpu_kernels = Some(cpu);
        self
    }

    /// Whether trainers use the kernels for CPU adapters: [`Self::with_cpu_kernels`], else
    /// `MODGROK_GPU_MATMUL` (`direct` or `tiled`), else whether the adapter is a CPU.
    pub(crate) fn cpu_kernels(&self) -> bool {
        self.cpu_kernels
            .unwrap_or_else(|| match std::env::var("MODGROK_GPU_MATMUL").as_deref() {
                Ok("tiled") => false,
                Ok("direct") => true,
                _ => self.is_cpu(),
            })
    }
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    let mut extra = vec![format!("{:?}", info.backend)];
    for s in [&info.driver, &info.driver_info] {
        if !s.is_empty() && !extra.contains(s) {
            extra.push(s.clone());
        }
    }
    format!("{} ({})", info.name, extra.join(", "))
}

/// Runs a future to completion on this thread; wgpu's native futures resolve at once or after
/// a device poll, so parking until woken is enough.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}
