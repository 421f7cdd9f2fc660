use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use plotters::style::RGBColor;

use super::axis::{Axis, Scale, linear_label, log_label};
use super::heatmap::{short, viridis};
use super::lines::segments;
use super::*;

/// A fresh directory per test, so parallel tests never share files.
fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("modgrok_plot_{}_{n}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create test temp dir");
    dir
}

fn read_svg(path: &Path) -> String {
    let s = std::fs::read_to_string(path).expect("plot file was written");
    let head = s.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "not an SVG: {}",
        &s[..s.len().min(80)]
    );
    assert!(s.trim_end().ends_with("</svg>"), "SVG not closed");
    s
}

fn curve(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=50)
        .map(|i| (i as f64 * 20.0, f(i as f64 * 20.0)))
        .collect()
}

#[test]
fn lines_writes_svg_with_title_and_series_names() {
    let dir = temp_dir("lines");
    let path = dir.join("acc.svg");
    let train = curve(|s| (s / 500.0).min(1.0));
    let test = curve(|s| (s / 1000.0).powi(3));
    let series = [
        Series {
            name: "train_acc",
            points: &train,
        },
        Series {
            name: "test_acc",
            points: &test,
        },
    ];
    lines(
        &path,
        "accuracy a+b mod 7",
        "step",
        "accuracy",
        &series,
        Axes {
            log_x: true,
            log_y: false,
        },
    )
    .expect("plot");
    let svg = read_svg(&path);
    for text in [
        "accuracy a+b mod 7",
        "train_acc",
        "test_acc",
        "step",
        "accuracy",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    let tmp = format!("{}acc.svg.{}", crate::fsio::TMP_PREFIX, std::process::id());
    assert!(!dir.join(tmp).exists());
}

#[test]
fn log_axes_with_step_zero_and_zero_loss_do_not_panic() {
    let dir = temp_dir("log0");
    let path = dir.join("loss.svg");
    let pts = [
        (0.0, 4.6),
        (0.0, 0.0),
        (1.0, 4.0),
        (10.0, 1.0),
        (100.0, 1e-3),
        (1000.0, 0.0),
        (2000.0, -1.0),
    ];
    let series = [Series {
        name: "train_loss",
        points: &pts,
    }];
    lines(
        &path,
        "loss",
        "step",
        "loss",
        &series,
        Axes {
            log_x: true,
            log_y: true,
        },
    )
    .expect("plot");
    let svg = read_svg(&path);
    assert!(svg.contains("train_loss") && !svg.contains("no data"));
    // Only step 0 present: nothing drawable on a log axis, still a valid plot.
    let only_zero = [(0.0, 1.0)];
    let series = [Series {
        name: "init",
        points: &only_zero,
    }];
    lines(
        &path,
        "loss",
        "step",
        "loss",
        &series,
        Axes {
            log_x: true,
            log_y: true,
        },
    )
    .expect("plot");
    assert!(read_svg(&path).contains("no data"));
}

#[test]
fn nan_and_inf_points_are_skipped_without_panic() {
    let dir = temp_dir("nan");
    let path = dir.join("ffs.svg");
    let pts = [
        (1.0, 0.5),
        (2.0, f64::NAN),
        (f64::NAN, 0.3),
        (4.0, f64::INFINITY),
        (8.0, 0.2),
        (16.0, 0.1),
    ];
    let all_nan = [(f64::NAN, f64::NAN)];
    let series = [
        Series {
            name: "ffs_embed",
            points: &pts,
        },
        Series {
            name: "fcr_embed",
            points: &all_nan,
        },
    ];
    lines(
        &path,
        "FFS",
        "step",
        "FFS",
        &series,
        Axes {
            log_x: true,
            log_y: false,
        },
    )
    .expect("plot");
    let svg = read_svg(&path);
    assert!(svg.contains("ffs_embed") && svg.contains("fcr_embed (no data)"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    assert_eq!(segments(&pts, Scale::Linear, Scale::Linear).len(), 2);
}

#[test]
fn all_empty_series_still_write_svg_with_no_data_note() {
    let dir = temp_dir("empty");
    let path = dir.join("empty.svg");
    let series = [
        Series {
            name: "train_loss",
            points: &[],
        },
        Series {
            name: "test_loss",
            points: &[],
        },
    ];
    lines(
        &path,
        "empty run",
        "step",
        "loss",
        &series,
        Axes {
            log_x: true,
            log_y: true,
        },
    )
    .expect("plot");
    let svg = read_svg(&path);
    assert!(svg.contains("empty run") && svg.contains("no data") && svg.contains("test_loss"));
    lines(&path, "no series", "step", "loss", &[], Axes::default()).expect("plot");
    assert!(read_svg(&path).contains("no data"));
}

#[test]
fn single_points_and_equal_values_draw_without_panic() {
    let dir = temp_dir("degenerate");
    let path = dir.join("odd.svg");
    let one = [(5.0, 2.0)];
    let flat = curve(|_| 0.7);
    for axes in [
        Axes::default(),
        Axes {
            log_x: true,
            log_y: true,
        },
    ] {
        for points in [&one[..], &flat] {
            let series = [Series {
                name: "odd",
                points,
            }];
            lines(&path, "odd", "step", "loss", &series, axes).expect("plot");
            let svg = read_svg(&path);
            assert!(svg.contains("odd") && !svg.contains("no data") && !svg.contains("NaN"));
        }
    }
    let other = [(6.0, 3.0)];
    lines_twin_y(
        &path,
        "odd twin",
        "step",
        (
            "left",
            &[Series {
                name: "l",
                points: &one,
            }],
        ),
        (
            "right",
            &[Series {
                name: "r",
                points: &other,
            }],
        ),
        true,
    )
    .expect("plot");
    assert!(!read_svg(&path).contains("NaN"));
    let zeros: Vec<(f64, f64)> = (1..=30).map(|k| (k as f64, 0.0)).collect();
    let series = [Series {
        name: "zero",
        points: &zeros,
    }];
    spectrum_bars(&path, "flat", "k", "norm", &series, &[3]).expect("plot");
    assert!(!read_svg(&path).contains("NaN"));
    for (data, rows, cols) in [(&[3.0; 9][..], 3, 3), (&[1.5][..], 1, 1)] {
        heatmap(&path, "equal", data, rows, cols, "a", "b").expect("plot");
        let svg = read_svg(&path);
        assert!(!svg.contains("NaN") && !svg.contains("no data"));
    }
}

#[test]
fn twin_y_plot_names_both_axes_and_all_series() {
    let dir = temp_dir("twin");
    let path = dir.join("twin.svg");
    let ffs = curve(|s| 1.0 - s / 2000.0);
    let fcr = curve(|_| f64::NAN);
    let acc = curve(|s| (s / 1000.0).min(1.0));
    lines_twin_y(
        &path,
        "FFS/FCR vs test accuracy",
        "step",
        (
            "FFS / FCR (ε = 0.1)",
            &[
                Series {
                    name: "ffs",
                    points: &ffs,
                },
                Series {
                    name: "fcr",
                    points: &fcr,
                },
            ],
        ),
        (
            "test accuracy",
            &[Series {
                name: "test_acc",
                points: &acc,
            }],
        ),
        true,
    )
    .expect("plot");
    let svg = read_svg(&path);
    for text in [
        "FFS/FCR vs test accuracy",
        "FFS / FCR (ε = 0.1)",
        "test accuracy",
        "ffs",
        "test_acc (right)",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn spectrum_bars_write_series_names_and_key_frequencies() {
    let dir = temp_dir("bars");
    let path = dir.join("spectrum.svg");
    let cos: Vec<(f64, f64)> = (1..=5)
        .map(|k| (k as f64, if k == 2 { 3.0 } else { 0.1 }))
        .collect();
    let sin: Vec<(f64, f64)> = (1..=5)
        .map(|k| (k as f64, if k == 2 { 2.5 } else { f64::NAN }))
        .collect();
    let series = [
        Series {
            name: "cos α_k",
            points: &cos,
        },
        Series {
            name: "sin β_k",
            points: &sin,
        },
    ];
    spectrum_bars(
        &path,
        "embedding spectrum p=11",
        "frequency k",
        "norm",
        &series,
        &[2, 99],
    )
    .expect("plot");
    let svg = read_svg(&path);
    for text in [
        "embedding spectrum p=11",
        "cos α_k",
        "sin β_k",
        "key frequency",
        "frequency k",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    spectrum_bars(
        &path,
        "empty",
        "k",
        "norm",
        &[Series {
            name: "cos",
            points: &[],
        }],
        &[],
    )
    .expect("plot");
    assert!(read_svg(&path).contains("no data"));
}

#[test]
fn heatmap_writes_svg_and_rejects_wrong_shape() {
    let dir = temp_dir("heat");
    let path = dir.join("logit2d.svg");
    let p = 11;
    let mut data: Vec<f64> = (0..p * p).map(|i| ((i % p) * (i / p)) as f64).collect();
    data[5] = f64::NAN;
    heatmap(
        &path,
        "2D logit spectrum p=11",
        &data,
        p,
        p,
        "y basis",
        "x basis",
    )
    .expect("plot");
    let svg = read_svg(&path);
    for text in ["2D logit spectrum p=11", "y basis", "x basis", "max 100"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    let err = heatmap(&path, "bad", &data[1..], p, p, "a", "b").unwrap_err();
    assert!(matches!(err, PlotError::Shape { len: 120, .. }), "{err}");
    heatmap(&path, "all nan", &[f64::NAN; 4], 2, 2, "a", "b").expect("plot");
    assert!(read_svg(&path).contains("no data"));
    heatmap(&path, "zero by zero", &[], 0, 0, "a", "b").expect("plot");
    assert!(read_svg(&path).contains("zero by zero"));
}

#[test]
fn missing_directory_is_an_io_error_not_a_panic() {
    let path = temp_dir("io").join("no/such/dir/plot.svg");
    let err = lines(&path, "t", "x", "y", &[], Axes::default()).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
}

#[test]
fn a_written_plot_leaves_no_temporary_file_beside_it() {
    let dir = temp_dir("atomic");
    lines(&dir.join("a.svg"), "t", "x", "y", &[], Axes::default()).expect("plot");
    heatmap(&dir.join("h.svg"), "h", &[1.0], 1, 1, "a", "b").expect("plot");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.svg", "h.svg"]);
}

#[test]
fn viridis_hits_its_samples_and_clamps_odd_input() {
    assert_eq!(viridis(0.5), RGBColor(0x21, 0x91, 0x8c));
    assert_eq!(viridis(0.25), RGBColor(0x3b, 0x52, 0x8a));
    assert_eq!(viridis(-3.0), viridis(0.0));
    assert_eq!(viridis(7.0), viridis(1.0));
    assert_eq!(viridis(f64::NAN), viridis(0.0));
    assert_eq!(viridis(f64::INFINITY), viridis(0.0));
}

#[test]
fn tick_labels_read_as_numbers() {
    assert_eq!(log_label(0.0), "1");
    assert_eq!(log_label(3.0), "1000");
    assert_eq!(log_label(-2.0), "0.01");
    assert_eq!(log_label(5.0), "1e5");
    assert_eq!(log_label(-7.0 + 2f64.log10()), "2e-7");
    assert_eq!(linear_label(0.6000000001, 0.2), "0.6");
    assert_eq!(linear_label(-1e-17, 0.2), "0");
    assert_eq!(linear_label(2500.0, 500.0), "2500");
    assert_eq!(short(0.123456), "0.1235");
    let one_decade = Axis::new(Scale::Log10, Some((0.0, 1.0)));
    let labels: Vec<String> = one_decade
        .bold
        .iter()
        .map(|&t| one_decade.label(t))
        .collect();
    assert_eq!(labels, ["1", "2", "5", "10"]);
    let many = Axis::new(Scale::Log10, Some((0.0, 5.0)));
    let labels: Vec<String> = many.bold.iter().map(|&t| many.label(t)).collect();
    assert_eq!(labels, ["1", "10", "100", "1000", "10000", "1e5"]);
    assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
    assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
}

/// Writes one of each plot at full size (p = 97) for a look by eye:
/// `MODGROK_PLOT_DEMO=/tmp/plot_demo cargo test -p modgrok-host plot::tests::demo -- --ignored`.
#[test]
#[ignore = "writes demo plots for visual inspection"]
fn demo_plots_at_full_size() {
    let dir = std::env::var_os("MODGROK_PLOT_DEMO").map_or_else(|| temp_dir("demo"), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("demo dir");
    let steps: Vec<f64> = (0..=400).map(|i| (i * 100) as f64).collect();
    let sig = |s: f64, at: f64, w: f64| 1.0 / (1.0 + (-(s - at) / w).exp());
    let pts = |f: &dyn Fn(f64) -> f64| steps.iter().map(|&s| (s, f(s))).collect::<Vec<_>>();
    let train_loss =
        pts(&|s| 4.57 * (-s / 300.0).exp() + 1e-6 + 1e-3 * (1.0 - sig(s, 12000.0, 2000.0)));
    let test_loss =
        pts(&|s| 4.6 + 10.0 * sig(s, 1500.0, 500.0) * (1.0 - sig(s, 15000.0, 2000.0)) + 1e-5);
    let train_acc = pts(&|s| sig(s, 800.0, 150.0));
    let test_acc = pts(&|s| 0.01 + 0.99 * sig(s, 15000.0, 2000.0));
    let ffs = pts(&|s| 1.0 - 0.9 * sig(s, 14000.0, 2500.0));
    let fcr = pts(&|s| 0.8 + 0.15 * sig(s, 14000.0, 2500.0));
    let ax = Axes {
        log_x: true,
        log_y: true,
    };
    let loss = [
        Series {
            name: "train loss",
            points: &train_loss,
        },
        Series {
            name: "test loss",
            points: &test_loss,
        },
    ];
    lines(
        &dir.join("loss.svg"),
        "Loss, a+b mod 97, frac 0.3",
        "step",
        "cross-entropy loss",
        &loss,
        ax,
    )
    .expect("loss");
    let acc = [
        Series {
            name: "train acc",
            points: &train_acc,
        },
        Series {
            name: "test acc",
            points: &test_acc,
        },
    ];
    let ax = Axes {
        log_x: true,
        log_y: false,
    };
    lines(
        &dir.join("accuracy.svg"),
        "Accuracy, a+b mod 97, frac 0.3",
        "step",
        "accuracy",
        &acc,
        ax,
    )
    .expect("acc");
    lines_twin_y(
        &dir.join("ffs_fcr.svg"),
        "FFS and FCR of W_E over training (ε = 0.1)",
        "step",
        (
            "FFS / FCR",
            &[
                Series {
                    name: "ffs w_e",
                    points: &ffs,
                },
                Series {
                    name: "fcr w_e",
                    points: &fcr,
                },
            ],
        ),
        (
            "test accuracy",
            &[Series {
                name: "test acc",
                points: &test_acc,
            }],
        ),
        true,
    )
    .expect("twin");
    let key = [14usize, 35, 41];
    let bump = |k: usize, scale: f64| {
        if key.contains(&k) {
            scale
        } else {
            0.05 + 0.02 * ((k * 7) % 5) as f64
        }
    };
    let alpha: Vec<(f64, f64)> = (1..=48)
        .map(|k| (k as f64, bump(k, 3.0 + k as f64 / 20.0)))
        .collect();
    let beta: Vec<(f64, f64)> = (1..=48).map(|k| (k as f64, bump(k, 2.6))).collect();
    let spec = [
        Series {
            name: "cos α_k",
            points: &alpha,
        },
        Series {
            name: "sin β_k",
            points: &beta,
        },
    ];
    spectrum_bars(
        &dir.join("spectrum.svg"),
        "Embedding spectrum W_E, p = 97",
        "frequency k",
        "norm",
        &spec,
        &key,
    )
    .expect("bars");
    let p = 97;
    let data: Vec<f64> = (0..p * p)
        .map(|i| {
            let (a, b) = (i / p, i % p);
            let hit = |x: usize| key.iter().any(|&k| x == 2 * k - 1 || x == 2 * k);
            if hit(a) && hit(b) {
                50.0 + (a + b) as f64 / 10.0
            } else {
                ((a * 31 + b * 17) % 13) as f64 * 0.1
            }
        })
        .collect();
    heatmap(
        &dir.join("logit2d.svg"),
        "2D logit spectrum, p = 97",
        &data,
        p,
        p,
        "y basis index",
        "x basis index",
    )
    .expect("heatmap");
}
