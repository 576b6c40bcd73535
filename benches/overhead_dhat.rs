//! W1's loop under DHAT's heap profiler (`dhat::Alloc` as the global
//! allocator, a profiler running), over a tenth of W1's boxes: at about 150
//! times the system allocator's time, the whole of W1 would take minutes per
//! sample. `benches/sites.sh` compares it per box with the system allocator
//! and with allocguard's sites.

use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

// Shares W1 with the other overhead benches; the rest is theirs.
#[allow(dead_code)]
mod workloads;
use workloads::{w1_boxes_n, W1_BOXES};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn bench(c: &mut Criterion) {
    let file =
        std::env::temp_dir().join(format!("allocguard-bench-dhat-{}.json", std::process::id()));
    let boxes = W1_BOXES / 10;
    let mut g = c.benchmark_group("sites");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(boxes));
    g.bench_function(BenchmarkId::new("W1_box32_x1M", "dhat"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Its summary on stderr at each drop is DHAT's own.
                let profiler = dhat::Profiler::builder().file_name(&file).build();
                let t = Instant::now();
                w1_boxes_n(boxes);
                total += t.elapsed();
                drop(profiler);
            }
            total
        })
    });
    g.finish();
    let _ = std::fs::remove_file(&file);
}

criterion_group!(benches, bench);
criterion_main!(benches);
