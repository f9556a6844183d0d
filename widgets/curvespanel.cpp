#include "curvespanel.h"

#include "events/checkpointmarks.h"
#include "events/smoothing.h"
#include "histogramplot.h"
#include "plotexport.h"
#include "themecolors.h"
#include "write/atomicfile.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QSlider>
#include <QSplitter>
#include <QToolButton>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <qcustomplot.h>

namespace wl
{
namespace
{

constexpr int kSliderSteps = 1000;  // smoothing weight in thousandths, as TensorBoard's slider
constexpr double kMarkerPixels = 4; // how near a click must be to a checkpoint marker
constexpr int kRawAlpha = 60;       // the raw series behind the smoothed one
constexpr int kTagRole = Qt::UserRole + 1;
constexpr std::size_t kDotsUpTo = 50; // series this short get a dot per point

// The group of a tag in the list: up to its first '/', else its first '_' ("epoch_loss").
QString prefixOf(const QString &tag)
{
    qsizetype at = tag.indexOf(QLatin1Char('/'));
    if (at <= 0)
        at = tag.indexOf(QLatin1Char('_'));
    return at > 0 ? tag.left(at + 1) : QString();
}

QString number(double v)
{
    return QString::number(v, 'g', 6);
}

} // namespace

struct CurvesPanel::Curve {
    int run = 0;
    QString tag;
    // In the series' order, as read: what is smoothed and exported.
    std::vector<std::int64_t> step;
    std::vector<double> wall, value, smooth;
    // What is drawn, non-finite x left out: the series cut where x goes back (a training that
    // restarted without saying so), each piece a line of its own in x order.
    std::vector<double> x, y, s;
    std::vector<std::size_t> order;        // x[i] belongs to point order[i]
    std::vector<std::size_t> pieces;       // start of each piece in x, then x.size()
    std::vector<QCPGraph *> raw, smoothed; // per piece
    int drawnRaw = 0, drawnSmooth = 0;
    std::size_t pieceCount() const { return pieces.empty() ? 0 : pieces.size() - 1; }
};

struct CurvesPanel::Pane {
    QString tag;      // its title: the tag, or the overlaid tags joined
    QStringList tags; // the tags drawn in it
    QCPAxisRect *rect = nullptr;
    QCPTextElement *title = nullptr;
    std::vector<Curve> curves;
    std::vector<std::pair<QCPItemStraightLine *, const Checkpoint *>> markers;
    QCPItemStraightLine *cursor = nullptr;
    int columns = 0;       // the pixel width the curves were last thinned for
    QCPRange fullX, fullY; // the ranges that show every point
};

CurvesPanel::CurvesPanel(QWidget *parent) : QWidget(parent)
{
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search tags"));
    m_search->setClearButtonEnabled(true);
    m_tagList = new QTreeWidget(this);
    m_tagList->setHeaderHidden(true);
    m_tagList->setRootIsDecorated(true);
    m_tagList->setUniformRowHeights(true);
    m_tagList->setToolTip(tr("Checked tags are plotted, one plot each or overlaid"));

    m_smoothing = new QSlider(Qt::Horizontal, this);
    m_smoothing->setRange(0, kSliderSteps - 1);
    m_smoothing->setValue(600); // TensorBoard's default
    m_smoothing->setToolTip(tr("Exponential moving average, debiased as TensorBoard does it; "
                               "the raw values are drawn faint behind"));
    m_smoothingLabel = new QLabel(this);
    m_xChoice = new QComboBox(this);
    m_xChoice->addItems({tr("Step"), tr("Relative time"), tr("Wall time")});
    m_xChoice->setToolTip(tr("Horizontal axis: training step, hours since the run's first "
                             "point, or the time of day"));
    m_log = new QCheckBox(tr("Log y"), this);
    m_log->setToolTip(tr("Logarithmic value axis; values of zero or below are not drawn"));
    m_overlay = new QCheckBox(tr("Overlay"), this);
    m_overlay->setToolTip(tr("Every checked tag on one plot, a colour per run and tag"));
    auto *reset = new QToolButton(this);
    reset->setText(tr("Reset zoom"));
    reset->setToolTip(tr("Show every point again (wheel zooms, drag pans, double-click resets)"));
    m_export = new QToolButton(this);
    m_export->setText(tr("Export"));
    setExportMenu(
        m_export, tr("Export curves"),
        [this] {
            const QStringList tags = checkedTags();
            return tags.size() == 1 ? tags.first() : QStringLiteral("curves");
        },
        [this](const QString &path) { return exportTo(path); });

    m_plot = new QCustomPlot(this);
    m_plot->setAutoAddPlottableToLegend(false);
    // One polyline per graph: stroking thousands of short segments one by one is what made a
    // thinned million-point series slow to draw.
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMinimumHeight(200);
    m_plot->plotLayout()->clear(); // panes are added per checked tag, below the legend
    auto *legend = new QCPLegend;
    m_plot->plotLayout()->addElement(0, 0, legend);
    m_plot->legend = legend;
    legend->setLayer(QStringLiteral("legend"));
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    legend->setBorderPen(Qt::NoPen);
    legend->setFont(font());
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);

    m_readout = new QLabel(this);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_readout->setText(tr("Hover a plot to read every run's value at one step"));
    // The readout of many runs is long: it wraps instead of widening the window.
    m_readout->setWordWrap(true);
    m_readout->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    // Two rows: the slider needs room to be finely set in a narrow centre.
    m_smoothing->setMinimumWidth(120);
    auto *smoothingRow = new QHBoxLayout;
    smoothingRow->addWidget(new QLabel(tr("Smoothing"), this));
    smoothingRow->addWidget(m_smoothing, 1);
    smoothingRow->addWidget(m_smoothingLabel);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_xChoice);
    bar->addWidget(m_log);
    bar->addWidget(m_overlay);
    bar->addStretch(1);
    bar->addWidget(reset);
    bar->addWidget(m_export);

    auto *left = new QWidget(this);
    auto *ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    ll->addWidget(m_search);
    ll->addWidget(m_tagList, 1);
    auto *right = new QWidget(this);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    rl->addLayout(smoothingRow);
    rl->addLayout(bar);
    rl->addWidget(m_plot, 1);
    rl->addWidget(m_readout);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    split->setSizes({220, 600});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(split);

    connect(m_search, &QLineEdit::textChanged, this, &CurvesPanel::setTagFilter);
    connect(m_tagList, &QTreeWidget::itemChanged, this, [this] {
        if (!m_building)
            rebuildPlots();
    });
    connect(m_smoothing, &QSlider::valueChanged, this, [this] {
        resmooth();
        redraw();
    });
    connect(m_xChoice, &QComboBox::currentIndexChanged, this,
            [this](int i) { setXAxis(XAxis(i)); });
    connect(m_log, &QCheckBox::toggled, this, [this] { rebuildPlots(); });
    connect(m_overlay, &QCheckBox::toggled, this, [this] { rebuildPlots(); });
    connect(reset, &QToolButton::clicked, this, &CurvesPanel::resetZoom);
    connect(m_plot, &QCustomPlot::mouseMove, this, &CurvesPanel::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this, &CurvesPanel::onMousePress);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetZoom(); });
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        if (const int wrap = legendColumns(); m_plot->legend->wrap() != wrap) {
            m_plot->legend->setWrap(wrap);
            m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true); // re-flows the rows
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
        if (std::any_of(m_panes.begin(), m_panes.end(),
                        [](const auto &p) { return p->rect->width() != p->columns; }))
            redraw();
    });
    m_smoothingLabel->setText(number(smoothing()));
}

CurvesPanel::~CurvesPanel() = default;

// As many names to a legend row as fit: eight runs must not take eight rows, and the long
// "run · tag" names of an overlay must not run past the plot.
int CurvesPanel::legendColumns() const
{
    int widest = 220;
    for (int i = 0; i < m_plot->legend->itemCount(); ++i)
        if (auto *item = m_plot->legend->item(i))
            widest = std::max(widest, item->minimumOuterSizeHint().width() + 12);
    return std::max(1, m_plot->width() / widest);
}

QString CurvesPanel::runKey(int run) const
{
    const auto &r = m_runs[run].get();
    return r.csvFile.isEmpty() ? r.folder : r.csvFile;
}

QColor CurvesPanel::runColor(int run) const
{
    return HistogramPlot::seriesColor(m_colorOf.value(runKey(run), run));
}

// First come first served as the runs' colours, so a pair keeps its colour while other tags
// are checked and unchecked.
QColor CurvesPanel::pairColor(int run, const QString &tag)
{
    const QString key = runKey(run) + QChar(0) + tag;
    auto it = m_pairColorOf.constFind(key);
    if (it == m_pairColorOf.constEnd())
        it = m_pairColorOf.insert(key, int(m_pairColorOf.size()));
    return HistogramPlot::seriesColor(*it);
}

QStringList CurvesPanel::runNames() const
{
    QList<QStringList> parts;
    // Runs of several opened folders (two runs' train/ and validation/) start with the folder.
    const bool severalLogs = std::any_of(m_runs.begin(), m_runs.end(), [&](const LogRunRef &r) {
        return r.logs != m_runs.first().logs;
    });
    for (const auto &r : m_runs) {
        const auto &run = r.get();
        // "." is the opened folder itself.
        QStringList p =
            (run.name == QLatin1String(".") ? QFileInfo(run.folder).fileName() : run.name)
                .split(QLatin1Char('/'));
        if (severalLogs && run.name != QLatin1String("."))
            p.prepend(QFileInfo(r.logs->root).fileName());
        parts << p;
    }
    // Folders every run shares say nothing: "logs/fit/1/train" and "logs/fit/2/train" are
    // "1/train" and "2/train".
    qsizetype common = 0;
    if (parts.size() > 1) {
        const auto shortest =
            std::min_element(parts.begin(), parts.end(),
                             [](const auto &a, const auto &b) { return a.size() < b.size(); });
        while (common + 1 < shortest->size() &&
               std::all_of(parts.begin(), parts.end(), [&](const QStringList &p) {
                   return p[common] == parts.first()[common];
               }))
            ++common;
    }
    QStringList names;
    for (const auto &p : parts)
        names << p.mid(common).join(QLatin1Char('/'));
    return names;
}

void CurvesPanel::setRuns(const QList<LogRunRef> &runs,
                          const QList<std::shared_ptr<const Checkpoint>> &checkpoints,
                          bool keepView)
{
    const QStringList wasChecked = checkedTags();
    // The ranges of plots the user zoomed or panned, by tag.
    QHash<QString, std::pair<QCPRange, QCPRange>> zoomed;
    if (keepView)
        for (const auto &p : m_panes) {
            const QCPRange x = p->rect->axis(QCPAxis::atBottom)->range();
            const QCPRange y = p->rect->axis(QCPAxis::atLeft)->range();
            if (x != p->fullX || y != p->fullY)
                zoomed.insert(p->tag, {x, y});
        }
    m_runs.clear();
    for (const auto &r : runs)
        if (r.isValid())
            m_runs << r;
    m_checkpoints = checkpoints;
    for (int r = 0; r < m_runs.size(); ++r)
        if (const QString key = runKey(r); !m_colorOf.contains(key))
            m_colorOf.insert(key, int(m_colorOf.size()));
    m_tags.clear();
    for (const auto &r : std::as_const(m_runs))
        for (const auto &s : r.get().series.all())
            if (s.kind == events::SeriesKind::Scalar && !s.scalars.empty() &&
                !m_tags.contains(s.tag))
                m_tags << s.tag;
    QStringList keep;
    for (const auto &t : wasChecked)
        if (m_tags.contains(t))
            keep << t;
    if (keep.isEmpty())
        for (const auto &t : std::as_const(m_preferred))
            if (m_tags.contains(t))
                keep << t;
    if (keep.isEmpty() && !m_tags.isEmpty()) {
        // A loss is what people look at first.
        const auto loss = std::find_if(m_tags.begin(), m_tags.end(), [](const QString &t) {
            return t.contains(QLatin1String("loss"), Qt::CaseInsensitive);
        });
        keep << (loss != m_tags.end() ? *loss : m_tags.first());
    }
    m_building = true;
    rebuildTagList();
    m_building = false;
    setCheckedTags(keep);
    if (zoomed.isEmpty())
        return;
    for (auto &p : m_panes)
        if (auto it = zoomed.constFind(p->tag); it != zoomed.constEnd()) {
            p->rect->axis(QCPAxis::atLeft)->setRange(it->second);
            p->rect->axis(QCPAxis::atBottom)->setRange(it->first); // redraws
        }
}

void CurvesPanel::rebuildTagList()
{
    m_tagList->clear();
    QHash<QString, int> perPrefix;
    for (const auto &t : std::as_const(m_tags))
        ++perPrefix[prefixOf(t)];
    QHash<QString, QTreeWidgetItem *> groups;
    for (const auto &t : std::as_const(m_tags)) {
        const QString prefix = prefixOf(t);
        QTreeWidgetItem *parent = nullptr;
        if (!prefix.isEmpty() && perPrefix.value(prefix) > 1) {
            QTreeWidgetItem *&g = groups[prefix];
            if (!g) {
                g = new QTreeWidgetItem(m_tagList, {prefix});
                g->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsAutoTristate);
                g->setCheckState(0, Qt::Unchecked);
                g->setExpanded(true);
            }
            parent = g;
        }
        auto *item = parent ? new QTreeWidgetItem(parent, {t.mid(prefix.size())})
                            : new QTreeWidgetItem(m_tagList, {t});
        item->setData(0, kTagRole, t);
        item->setToolTip(0, t);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
        item->setCheckState(0, Qt::Unchecked);
    }
}

QStringList CurvesPanel::checkedTags() const
{
    QStringList out;
    for (QTreeWidgetItemIterator it(m_tagList); *it; ++it)
        if (!(*it)->data(0, kTagRole).isNull() && (*it)->checkState(0) == Qt::Checked)
            out << (*it)->data(0, kTagRole).toString();
    // In the runs' order, not the list's.
    std::sort(out.begin(), out.end(), [this](const QString &a, const QString &b) {
        return m_tags.indexOf(a) < m_tags.indexOf(b);
    });
    return out;
}

QStringList CurvesPanel::preferredTags() const
{
    const QStringList checked = checkedTags();
    return checked.isEmpty() ? m_preferred : checked;
}

void CurvesPanel::setCheckedTags(const QStringList &tags)
{
    m_building = true;
    for (QTreeWidgetItemIterator it(m_tagList); *it; ++it)
        if (!(*it)->data(0, kTagRole).isNull())
            (*it)->setCheckState(0, tags.contains((*it)->data(0, kTagRole).toString())
                                        ? Qt::Checked
                                        : Qt::Unchecked);
    m_building = false;
    rebuildPlots();
}

void CurvesPanel::setTagFilter(const QString &text)
{
    if (m_search->text() != text)
        m_search->setText(text); // comes back here through textChanged
    for (int g = 0; g < m_tagList->topLevelItemCount(); ++g) {
        QTreeWidgetItem *top = m_tagList->topLevelItem(g);
        if (top->childCount() == 0) {
            top->setHidden(!top->data(0, kTagRole).toString().contains(text, Qt::CaseInsensitive));
            continue;
        }
        bool any = false;
        for (int c = 0; c < top->childCount(); ++c) {
            QTreeWidgetItem *item = top->child(c);
            const bool show =
                item->data(0, kTagRole).toString().contains(text, Qt::CaseInsensitive);
            item->setHidden(!show);
            any = any || show;
        }
        top->setHidden(!any);
    }
}

QStringList CurvesPanel::visibleTags() const
{
    QStringList out;
    for (QTreeWidgetItemIterator it(m_tagList); *it; ++it)
        if (!(*it)->data(0, kTagRole).isNull() && !(*it)->isHidden() &&
            (!(*it)->parent() || !(*it)->parent()->isHidden()))
            out << (*it)->data(0, kTagRole).toString();
    return out;
}

double CurvesPanel::smoothing() const
{
    return m_smoothing->value() / double(kSliderSteps);
}

void CurvesPanel::setSmoothing(double weight)
{
    m_smoothing->setValue(int(std::lround(std::clamp(weight, 0.0, 0.999) * kSliderSteps)));
}

bool CurvesPanel::logY() const
{
    return m_log->isChecked();
}

void CurvesPanel::setLogY(bool on)
{
    m_log->setChecked(on);
}

bool CurvesPanel::overlay() const
{
    return m_overlay->isChecked();
}

void CurvesPanel::setOverlay(bool on)
{
    m_overlay->setChecked(on);
}

void CurvesPanel::setXAxis(XAxis axis)
{
    if (m_xChoice->currentIndex() != int(axis))
        m_xChoice->setCurrentIndex(int(axis)); // comes back here
    if (m_xAxis == axis)
        return;
    m_xAxis = axis;
    rebuildPlots();
}

double CurvesPanel::xOf(const Curve &c, std::size_t i) const
{
    switch (m_xAxis) {
    case XAxis::Step:
        return double(c.step[i]);
    case XAxis::RelativeTime:
        // Hours since the series' first point, as TensorBoard's relative axis.
        return (c.wall[i] - c.wall.front()) / 3600.0;
    case XAxis::WallTime:
        return c.wall[i];
    }
    return double(c.step[i]);
}

void CurvesPanel::rebuildPlots()
{
    m_plot->clearItems();
    m_plot->clearPlottables();
    m_plot->legend->clearItems();
    for (auto &p : m_panes) {
        m_plot->plotLayout()->remove(p->title);
        m_plot->plotLayout()->remove(p->rect);
    }
    m_plot->plotLayout()->simplify();
    m_panes.clear();

    // One plot per tag, or one for all of them; several tags on one plot are told apart by
    // colour, so an overlay has no lower cap than the colours.
    const bool overlaid = overlay();
    QList<QStringList> paneTags;
    if (overlaid) {
        if (const QStringList all = checkedTags(); !all.isEmpty())
            paneTags << all;
    } else {
        for (const auto &t : checkedTags().mid(0, kMaxPlots))
            paneTags << QStringList{t};
    }
    const QStringList names = runNames();
    const QFont f = font();
    QFont titleFont = f;
    titleFont.setBold(true);
    for (const auto &tags : std::as_const(paneTags)) {
        auto pane = std::make_unique<Pane>();
        pane->tag = tags.join(QLatin1String(", "));
        pane->tags = tags;
        const int row = m_plot->plotLayout()->rowCount();
        // Long tags (TF1 queue names) are cut in the middle rather than widening the plot.
        const QString title = QFontMetrics(titleFont).elidedText(
            pane->tag, Qt::ElideMiddle, std::max(200, m_plot->width() - 40));
        pane->title = new QCPTextElement(m_plot, title, titleFont);
        m_plot->plotLayout()->addElement(row, 0, pane->title);
        m_plot->plotLayout()->setRowStretchFactor(row, 0.001);
        pane->rect = new QCPAxisRect(m_plot);
        m_plot->plotLayout()->addElement(row + 1, 0, pane->rect);
        pane->rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
        pane->rect->setRangeZoom(Qt::Horizontal | Qt::Vertical);
        QCPAxis *xa = pane->rect->axis(QCPAxis::atBottom);
        QCPAxis *ya = pane->rect->axis(QCPAxis::atLeft);
        for (auto *axis : {xa, ya}) {
            axis->setTickLabelFont(f);
            axis->setLabelFont(f);
            axis->grid()->setPen(QPen(QColor(225, 225, 225), 0, Qt::DotLine));
        }
        switch (m_xAxis) {
        case XAxis::Step:
            xa->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
            xa->setLabel(tr("step"));
            break;
        case XAxis::RelativeTime:
            xa->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
            xa->setLabel(tr("hours since the first point"));
            break;
        case XAxis::WallTime: {
            QSharedPointer<QCPAxisTickerDateTime> t(new QCPAxisTickerDateTime);
            t->setDateTimeFormat(QStringLiteral("MM-dd\nhh:mm"));
            xa->setTicker(t);
            xa->setLabel(tr("wall time"));
            break;
        }
        }
        if (logY()) {
            ya->setScaleType(QCPAxis::stLogarithmic);
            ya->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
        }

        for (const auto &tag : tags)
            for (int r = 0; r < m_runs.size(); ++r) {
                const auto *series = m_runs[r].get().series.find(tag);
                if (!series || series->scalars.empty())
                    continue;
                Curve c;
                c.run = r;
                c.tag = tag;
                const auto &pts = series->scalars;
                c.step.reserve(pts.size());
                c.wall.reserve(pts.size());
                c.value.reserve(pts.size());
                for (const auto &p : pts) {
                    c.step.push_back(p.step);
                    c.wall.push_back(p.wallTime);
                    c.value.push_back(p.value);
                }
                c.order.reserve(pts.size());
                for (std::size_t i = 0; i < pts.size(); ++i) {
                    const double x = xOf(c, i);
                    if (!std::isfinite(x))
                        continue;
                    if (c.x.empty() || x < c.x.back())
                        c.pieces.push_back(c.x.size());
                    c.x.push_back(x);
                    c.order.push_back(i);
                }
                c.pieces.push_back(c.x.size());
                const QColor color = overlaid ? pairColor(r, tag) : runColor(r);
                QColor faint = color;
                faint.setAlpha(kRawAlpha);
                // A few points, or many at one step (evaluations), would vanish as a bare line.
                const bool dots = pts.size() <= kDotsUpTo || pts.front().step == pts.back().step;
                for (std::size_t k = 0; k < c.pieceCount(); ++k) {
                    auto *raw = new QCPGraph(xa, ya);
                    raw->setPen(QPen(faint, 1));
                    auto *smoothed = new QCPGraph(xa, ya);
                    smoothed->setPen(QPen(color, 1.6));
                    smoothed->setName(curveName(c, names));
                    if (dots)
                        smoothed->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
                    c.raw.push_back(raw);
                    c.smoothed.push_back(smoothed);
                }
                pane->curves.push_back(std::move(c));
            }
        m_panes.push_back(std::move(pane));
    }
    // The legend names each run once, with its colour; overlaid, each run and tag.
    QSet<QString> listed;
    for (const auto &p : m_panes)
        for (const auto &c : p->curves)
            if (const QString name = curveName(c, names);
                !c.smoothed.empty() && !listed.contains(name)) {
                listed.insert(name);
                c.smoothed.front()->addToLegend(m_plot->legend);
            }
    m_plot->legend->setVisible(!listed.isEmpty());
    m_plot->legend->setWrap(legendColumns());
    m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true);

    for (auto &p : m_panes) {
        auto *cursor = new QCPItemStraightLine(m_plot);
        cursor->setClipAxisRect(p->rect);
        for (auto *pos : {cursor->point1, cursor->point2})
            pos->setAxes(p->rect->axis(QCPAxis::atBottom), p->rect->axis(QCPAxis::atLeft));
        cursor->setPen(QPen(theme::mutedText(palette()), 0, Qt::DashLine));
        cursor->setVisible(false);
        p->cursor = cursor;
        connect(p->rect->axis(QCPAxis::atBottom),
                qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] { redraw(); });
    }
    theme::applyToPlot(m_plot, palette()); // the panes are new: axes and titles take it now
    resmooth();
    updateMarkers();
    resetZoom();
}

void CurvesPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        rebuildPlots();
}

void CurvesPanel::resmooth()
{
    const double w = smoothing();
    m_smoothingLabel->setText(QString::number(w, 'f', 3));
    for (auto &p : m_panes)
        for (auto &c : p->curves) {
            // Whole series, before any thinning: thinning first would change the average.
            c.smooth = events::smoothEma(c.value, w);
            c.y.resize(c.order.size());
            c.s.resize(c.order.size());
            for (std::size_t i = 0; i < c.order.size(); ++i) {
                c.y[i] = c.value[c.order[i]];
                c.s[i] = c.smooth[c.order[i]];
            }
            for (auto *g : c.raw)
                g->setVisible(w > 0);
        }
}

void CurvesPanel::redraw()
{
    const bool log = logY();
    for (auto &p : m_panes) {
        const QCPRange range = p->rect->axis(QCPAxis::atBottom)->range();
        // A pane not laid out yet has no width: the plot's is near it, and a layout with the
        // real one thins again (afterLayout).
        p->columns = p->rect->width() > 0 ? p->rect->width() : std::max(1, m_plot->width());
        const int columns = p->columns;
        for (auto &c : p->curves) {
            auto fill = [&](const std::vector<double> &ys, QCPGraph *g, std::size_t k) {
                const std::size_t from = c.pieces[k], n = c.pieces[k + 1] - from;
                const std::span<const double> xs(c.x.data() + from, n), vs(ys.data() + from, n);
                const auto idx = events::decimateMinMax(xs, vs, range.lower, range.upper, columns);
                QVector<double> keys, values;
                keys.reserve(qsizetype(idx.size()));
                values.reserve(qsizetype(idx.size()));
                for (std::size_t i : idx) {
                    if (log && !(vs[i] > 0))
                        continue; // no place on a log axis
                    keys << xs[i];
                    values << vs[i];
                }
                g->setData(keys, values, true);
                return int(keys.size());
            };
            c.drawnSmooth = c.drawnRaw = 0;
            for (std::size_t k = 0; k < c.pieceCount(); ++k) {
                c.drawnSmooth += fill(c.s, c.smoothed[k], k);
                if (c.raw[k]->visible())
                    c.drawnRaw += fill(c.y, c.raw[k], k);
                else
                    c.raw[k]->data()->clear();
            }
        }
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvesPanel::resetZoom()
{
    const bool log = logY();
    for (auto &p : m_panes) {
        double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
        for (const auto &c : p->curves) {
            for (std::size_t k = 0; k < c.pieceCount(); ++k) {
                xlo = std::min(xlo, c.x[c.pieces[k]]);
                xhi = std::max(xhi, c.x[c.pieces[k + 1] - 1]);
            }
            for (const auto *v : {&c.y, &c.s})
                for (double y : *v)
                    if (std::isfinite(y) && (!log || y > 0)) {
                        ylo = std::min(ylo, y);
                        yhi = std::max(yhi, y);
                    }
        }
        if (!(xlo <= xhi)) {
            xlo = 0;
            xhi = 1;
        }
        // A margin keeps the first and last points, and markers there, off the frame.
        const double margin = xlo == xhi ? 0.5 : (xhi - xlo) * 0.01;
        xlo -= margin;
        xhi += margin;
        if (!(ylo <= yhi)) {
            ylo = log ? 0.1 : 0;
            yhi = 1;
        }
        if (log) {
            ylo /= 1.25;
            yhi *= 1.25;
        } else {
            const double pad =
                ylo == yhi ? std::max(std::abs(ylo) * 0.05, 0.5) : (yhi - ylo) * 0.05;
            ylo -= pad;
            yhi += pad;
        }
        p->fullX = QCPRange(xlo, xhi);
        p->fullY = QCPRange(ylo, yhi);
        p->rect->axis(QCPAxis::atLeft)->setRange(p->fullY);
        p->rect->axis(QCPAxis::atBottom)->setRange(p->fullX); // redraws through rangeChanged
    }
    redraw();
}

void CurvesPanel::updateMarkers()
{
    QStringList notes;
    for (auto &p : m_panes) {
        QStringList unplaced;
        // Each run's markers are its own checkpoints, placed on its own log's axis.
        for (const auto &c : p->curves) {
            const LogRunRef &ref = m_runs[c.run];
            const auto found = events::markersFor(*ref.logs, ref.run, c.tag, m_checkpoints);
            std::vector<std::pair<const Checkpoint *, double>> at;
            if (m_xAxis == XAxis::Step) {
                for (const auto &[cp, x] : found.placed)
                    at.emplace_back(cp.get(), x);
                for (const auto &cp : found.unplaced)
                    if (!unplaced.contains(cp->index().displayName))
                        unplaced << cp->index().displayName;
            } else if (!c.wall.empty() && std::isfinite(c.wall.front())) {
                // Against time only logs with times: a save time has nothing to meet in a CSV log.
                for (const auto &[cp, x] : found.placed)
                    if (const auto saved = cp->index().savedAt)
                        at.emplace_back(cp.get(), m_xAxis == XAxis::WallTime
                                                      ? *saved
                                                      : (*saved - c.wall.front()) / 3600.0);
            }
            for (const auto &[cp, x] : at) {
                if (std::any_of(p->markers.begin(), p->markers.end(), [&](const auto &m) {
                        return m.second == cp && m.first->point1->coords().x() == x;
                    }))
                    continue; // train and validation place it alike
                auto *line = new QCPItemStraightLine(m_plot);
                line->setClipAxisRect(p->rect);
                for (auto *pos : {line->point1, line->point2})
                    pos->setAxes(p->rect->axis(QCPAxis::atBottom), p->rect->axis(QCPAxis::atLeft));
                line->point1->setCoords(x, 0);
                line->point2->setCoords(x, 1);
                line->setPen(QPen(QColor(150, 110, 40, 170), 1.2, Qt::DashDotLine));
                p->markers.emplace_back(line, cp);
            }
        }
        // Placed by another run of this plot, a checkpoint is not missing from it.
        for (const auto &[line, cp] : p->markers)
            unplaced.removeAll(cp->index().displayName);
        if (!unplaced.isEmpty())
            notes << tr("%1 on %2").arg(unplaced.join(QLatin1String(", ")), p->tag);
    }
    m_markerNote = notes.isEmpty()
                       ? QString()
                       : tr("No marker for %1: nothing in the log places them on the step axis "
                            "(no save time, epoch or step links them to it)")
                             .arg(notes.join(QLatin1String("; ")));
    m_readout->setText(m_markerNote.isEmpty()
                           ? tr("Hover a plot to read every run's value at one step")
                           : m_markerNote);
}

const CurvesPanel::Pane *CurvesPanel::paneOf(const QString &tag) const
{
    for (const auto &p : m_panes)
        if (p->tags.contains(tag))
            return p.get();
    return nullptr;
}

const CurvesPanel::Curve *CurvesPanel::curveOf(int run, const QString &tag) const
{
    if (const Pane *p = paneOf(tag))
        for (const auto &c : p->curves)
            if (c.run == run && c.tag == tag)
                return &c;
    return nullptr;
}

QString CurvesPanel::curveName(const Curve &c, const QStringList &runNames) const
{
    const QString run = runNames.value(c.run);
    return overlay() ? tr("%1 · %2").arg(run, c.tag) : run;
}

QColor CurvesPanel::curveColor(int run, const QString &tag) const
{
    const Curve *c = curveOf(run, tag);
    return c && !c->smoothed.empty() ? c->smoothed.front()->pen().color() : QColor();
}

QList<double> CurvesPanel::markerPositions(const QString &tag) const
{
    QList<double> out;
    if (const Pane *p = paneOf(tag))
        for (const auto &[line, cp] : p->markers)
            out << line->point1->coords().x();
    return out;
}

QList<const Checkpoint *> CurvesPanel::markerCheckpoints(const QString &tag) const
{
    QList<const Checkpoint *> out;
    if (const Pane *p = paneOf(tag))
        for (const auto &[line, cp] : p->markers)
            out << cp;
    return out;
}

int CurvesPanel::drawnPoints(int run, const QString &tag, bool smoothed) const
{
    if (const Curve *c = curveOf(run, tag))
        return smoothed ? c->drawnSmooth : c->drawnRaw;
    return -1;
}

CurvesPanel::Pane *CurvesPanel::paneAt(const QPointF &pos) const
{
    for (const auto &p : m_panes)
        if (p->rect->rect().contains(pos.toPoint()))
            return p.get();
    return nullptr;
}

QString CurvesPanel::readoutAt(const QString &tag, double x) const
{
    const Pane *p = paneOf(tag);
    return p ? readoutOf(*p, x) : QString();
}

QString CurvesPanel::readoutOf(const Pane &pane, double x) const
{
    const QStringList names = runNames();
    const bool smoothed = smoothing() > 0;
    QStringList parts;
    for (const auto &c : pane.curves) {
        // The last point at or before x in the latest piece that spans x, else in the
        // latest that starts before it: what the run had reached there.
        std::size_t k = 0;
        for (std::size_t j = c.pieceCount(); j > 0 && k == 0; --j)
            if (c.x[c.pieces[j - 1]] <= x && x <= c.x[c.pieces[j] - 1])
                k = j;
        for (std::size_t j = c.pieceCount(); j > 0 && k == 0; --j)
            if (c.x[c.pieces[j - 1]] <= x)
                k = j;
        if (k == 0)
            continue;
        const auto begin = c.x.begin() + std::ptrdiff_t(c.pieces[k - 1]);
        const auto end = c.x.begin() + std::ptrdiff_t(c.pieces[k]);
        const std::size_t i =
            c.order[std::size_t(std::upper_bound(begin, end, x) - c.x.begin()) - 1];
        QString text =
            tr("%1: %2").arg(curveName(c, names), number(smoothed ? c.smooth[i] : c.value[i]));
        if (smoothed)
            text += tr(" (raw %1)").arg(number(c.value[i]));
        text += tr(" at step %1").arg(c.step[i]);
        parts << text;
    }
    return parts.isEmpty() ? QString()
                           : pane.tag + QStringLiteral(" — ") + parts.join(QLatin1String("; "));
}

QString CurvesPanel::readoutText() const
{
    return m_readout->text();
}

void CurvesPanel::onMouseMove(QMouseEvent *event)
{
    Pane *pane = paneAt(event->position());
    for (auto &p : m_panes)
        p->cursor->setVisible(p.get() == pane);
    if (!pane) {
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const double x = pane->rect->axis(QCPAxis::atBottom)->pixelToCoord(event->position().x());
    pane->cursor->point1->setCoords(x, 0);
    pane->cursor->point2->setCoords(x, 1);
    const QString text = readoutOf(*pane, x);
    if (!text.isEmpty())
        m_readout->setText(text);
    if (const Checkpoint *cp = markerAt(event->position()))
        m_plot->setToolTip(tr("%1: click to select it").arg(cp->index().displayName));
    else
        m_plot->setToolTip(m_markerNote);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

const Checkpoint *CurvesPanel::markerAt(const QPointF &pos) const
{
    const Pane *pane = paneAt(pos);
    if (!pane)
        return nullptr;
    const Checkpoint *best = nullptr;
    double bestDistance = kMarkerPixels;
    for (const auto &[line, cp] : pane->markers) {
        const double px =
            pane->rect->axis(QCPAxis::atBottom)->coordToPixel(line->point1->coords().x());
        const double d = std::abs(px - pos.x());
        if (d <= bestDistance) {
            bestDistance = d;
            best = cp;
        }
    }
    return best;
}

void CurvesPanel::onMousePress(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    if (const Checkpoint *cp = markerAt(event->position()))
        emit checkpointClicked(cp);
}

QByteArray CurvesPanel::csv() const
{
    const QStringList names = runNames();
    const double w = smoothing();
    QByteArray out = "run,tag,step,wall_time,value,smoothed\n";
    for (const auto &tag : checkedTags())
        for (int r = 0; r < m_runs.size(); ++r) {
            const auto *series = m_runs[r].get().series.find(tag);
            if (!series)
                continue;
            std::vector<double> values;
            values.reserve(series->scalars.size());
            for (const auto &p : series->scalars)
                values.push_back(p.value);
            const auto smooth = events::smoothEma(values, w);
            for (std::size_t i = 0; i < values.size(); ++i) {
                const auto &p = series->scalars[i];
                out +=
                    QStringLiteral("%1,%2,%3,%4,%5,%6\n")
                        .arg(csvField(names.value(r)), csvField(tag))
                        .arg(p.step)
                        .arg(std::isfinite(p.wallTime) ? QString::number(p.wallTime, 'f', 6)
                                                       : QString(),
                             QString::number(p.value, 'g', 17), QString::number(smooth[i], 'g', 17))
                        .toUtf8();
            }
        }
    return out;
}

Status CurvesPanel::exportTo(const QString &path)
{
    if (!path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive))
        return savePlot(m_plot, path);
    return writeBytesAtomically(path, csv(), true);
}

} // namespace wl
