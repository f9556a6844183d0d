#pragma once

#include "analysis/spectral.h"
#include "compare/diffengine.h"
#include "core/result.h"
#include "formats/reader.h"
#include "itemmodels/checkpointtreemodel.h"
#include "stats/histogramseries.h"
#include "stats/overtime.h"
#include "stats/statsengine.h"

#include <QDateTime>
#include <QFlags>
#include <QJsonObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace wl::report
{

// The JSON report's layout; raised when a field changes meaning or goes away.
inline constexpr int kSchemaVersion = 1;

enum class Section : unsigned {
    Summary = 0x1,
    Layers = 0x2,
    Statistics = 0x4,
    Histograms = 0x8,
    Curves = 0x10,
    OverTime = 0x20,
    Compare = 0x40,
    Restore = 0x80,
    Analysis = 0x100,
};
Q_DECLARE_FLAGS(Sections, Section)

// Every section, in the order a report shows them.
QList<Section> allSections();
Sections everySection();
// The word for a section on the command line and in JSON ("summary", "over-time"...).
QString sectionKey(Section s);
// Its heading in a report.
QString sectionTitle(Section s);
// "summary,layers" to sections; fails naming the unknown word.
Result<Sections> parseSections(const QString &list);

// An input that could not be opened: the path as given and why.
struct UnreadInput {
    QString path;
    LoadError error;
};

// One checkpoint: its facts, its tensors' statistics (as `weightlens stats` computes them) and
// the histograms of its largest tensors.
struct CheckpointPart {
    std::shared_ptr<const Checkpoint> checkpoint;
    QVector<TensorReport> stats; // the first maxTensors tensors, in the checkpoint's order
    int omitted = 0;             // tensors beyond maxTensors
    QList<HistogramSeries> largest;
    std::optional<std::int64_t> parameters; // from a Keras model config's layer table
    QString restoreLogPath;                 // OUT.restore.json beside a restored checkpoint
    QJsonObject restoreLog;
    // Layer analysis of every weight matrix (a run's newest checkpoint only, as histograms).
    QVector<analysis::LayerAnalysis> analysis;
};

// A variable of a run across its checkpoints.
struct OverTimePart {
    QString source;
    OverTime result;
};

// One scalar tag of the logs, every run overlaid.
struct CurvePart {
    QString tag;
    QList<LogRunRef> runs;
    QList<std::shared_ptr<const Checkpoint>> checkpoints; // their markers
    double smoothing = 0.6;
    // Per run: last step, last raw value, last smoothed value and the lowest raw value.
    struct Row {
        QString run;
        std::int64_t points = 0;
        std::int64_t lastStep = 0;
        double last = 0;
        double lastSmoothed = 0;
        double min = 0;
        // The run's checkpoints at their steps, and those nothing in the log places.
        QList<QPair<QString, double>> markers;
        QStringList unplaced;
    };
    QList<Row> rows;
};

struct SourcePart {
    QString path;
    QString kind;
    QString readerId;
    QString summaryText;
    Problems problems;
    QStringList consumedFiles;
    std::vector<CheckpointPart> checkpoints;
};

struct ComparePart {
    QString pathA, pathB;
    std::shared_ptr<const Checkpoint> a, b;
    int pairs = 0, onlyA = 0, onlyB = 0;
    GroupDiff total;
    QVector<GroupDiff> layers;
    QVector<TensorDiff> tensors;    // the pairs, largest change first
    QList<HistogramSeries> overlay; // A and B of the largest matched tensor
    QString overlayTensor;
};

struct ReportRequest {
    QStringList paths;
    QString compareA, compareB; // both set: the comparison section
    Sections sections = everySection();
    int maxTensors = 500;     // per checkpoint in the statistics table
    int histogramTensors = 4; // largest tensors drawn per checkpoint
    int histogramBins = 60;
    int esdPlots = 4; // largest weight matrices whose spectral density is drawn per checkpoint
    int maxCurveTags = 6;
    int overTimeVariables = 2; // largest variables of a run followed across its checkpoints
    double smoothing = 0.6;
};

struct Report {
    QDateTime written;
    ReportRequest request;
    QList<UnreadInput> unread;
    std::vector<SourcePart> sources;
    std::vector<std::shared_ptr<const events::RunLogs>> logs; // kept alive for the curves
    QList<CurvePart> curves;
    QList<OverTimePart> overTime;
    std::optional<ComparePart> compare;
    QStringList notes; // sections left out and why
    // Totals over every checkpoint.
    std::int64_t tensorCount() const;
    std::int64_t elementCount() const;
    std::int64_t byteCount() const;
    std::int64_t problemCount() const;
};

// Opens the inputs and computes what the chosen sections need, off the caller's thread when
// the caller so wishes: progress and cancellation through `job`. Inputs that cannot be read
// are listed in `unread`; fails only when cancelled or when no input could be read at all
// and there is nothing to report.
Result<Report> buildReport(const ReportRequest &request,
                           const JobContext &job = JobContext::none());

// The same from sources the caller has open already (the window's), nothing opened again;
// with compareA and compareB, the comparison of their first checkpoints.
Result<Report> buildReport(const ReportRequest &request, const QList<OpenResult> &opened,
                           const OpenResult *compareA, const OpenResult *compareB,
                           const JobContext &job = JobContext::none());

// A tensor's line of `weightlens stats --json`, without the checkpoint label.
QJsonObject tensorStatsJson(const TensorInfo &t, const TensorReport &r);

} // namespace wl::report

Q_DECLARE_OPERATORS_FOR_FLAGS(wl::report::Sections)
