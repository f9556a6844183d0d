#include "appsettings.h"

#include "curvespanel.h"
#include "histogramplot.h"
#include "sourcesview.h"
#include "tensorinspector.h"
#include "workbench.h"

#include <QFile>
#include <QFileInfo>
#include <QHeaderView>
#include <QSettings>
#include <QStringDecoder>
#include <QTreeView>

namespace wl
{
namespace settings
{
namespace
{

// Settings files are a few KiB; one far larger was not written by us.
constexpr qint64 kMaxSettingsFile = 4 << 20;

bool looksDamaged(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return false; // missing or unreadable: QSettings starts empty either way
    if (f.size() > kMaxSettingsFile)
        return true;
    const QByteArray bytes = f.readAll();
    if (bytes.contains('\0'))
        return true;
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8.decode(bytes); // decoding happens on conversion
    if (utf8.hasError())
        return true;
    return QSettings(file, QSettings::IniFormat).status() == QSettings::FormatError;
}

// true/false as QSettings writes them; anything else is the default.
bool boolValue(const QSettings &s, const QString &key, bool fallback)
{
    const QString v = s.value(key).toString();
    if (v == QLatin1String("true"))
        return true;
    if (v == QLatin1String("false"))
        return false;
    return fallback;
}

// Stored by name, so a reordered enum cannot misread an older file.
const QStringList kXAxisNames{QStringLiteral("step"), QStringLiteral("relative"),
                              QStringLiteral("wall")};

} // namespace

QString recoverDamaged(const QString &file)
{
    if (!looksDamaged(file))
        return {};
    // Kept beside it rather than deleted: it is the user's, and may explain what happened.
    const QString aside = file + QStringLiteral(".damaged");
    QFile::remove(aside);
    if (!QFile::rename(file, aside) && !QFile::remove(file))
        return {};
    return aside;
}

QString lastFolder(const QString &dialog)
{
    const QString dir = QSettings().value(QStringLiteral("dialogs/") + dialog).toString();
    return QFileInfo(dir).isDir() ? dir : QString();
}

void setLastFolder(const QString &dialog, const QString &path)
{
    if (path.isEmpty())
        return;
    const QFileInfo info(path);
    QSettings().setValue(QStringLiteral("dialogs/") + dialog,
                         info.isDir() ? info.absoluteFilePath() : info.absolutePath());
}

void saveViews(QSettings &s, const Workbench &bench)
{
    s.setValue(QStringLiteral("tree/header"), bench.sources()->tree()->header()->saveState());
    const HistogramPlot *h = bench.inspector()->histogram();
    s.setValue(QStringLiteral("histogram/bins"), h->bins());
    s.setValue(QStringLiteral("histogram/log"), h->logScale());
    s.setValue(QStringLiteral("histogram/density"), h->density());
    const CurvesPanel *c = bench.inspector()->curves();
    s.setValue(QStringLiteral("curves/smoothing"), c->smoothing());
    s.setValue(QStringLiteral("curves/x"), kXAxisNames.value(int(c->xAxis())));
    s.setValue(QStringLiteral("curves/logY"), c->logY());
    s.setValue(QStringLiteral("curves/overlay"), c->overlay());
    s.setValue(QStringLiteral("curves/tags"), c->preferredTags());
}

void restoreViews(const QSettings &s, Workbench &bench)
{
    // Values of the wrong kind (a hand-edited or damaged file) leave the defaults in place.
    const QVariant header = s.value(QStringLiteral("tree/header"));
    if (header.typeId() == QMetaType::QByteArray)
        bench.sources()->tree()->header()->restoreState(header.toByteArray());
    HistogramPlot *h = bench.inspector()->histogram();
    bool ok = false;
    const int bins = s.value(QStringLiteral("histogram/bins")).toInt(&ok);
    if (ok && bins >= 0)
        h->setBins(bins);
    h->setLogScale(boolValue(s, QStringLiteral("histogram/log"), false));
    h->setDensity(boolValue(s, QStringLiteral("histogram/density"), false));
    CurvesPanel *c = bench.inspector()->curves();
    const double weight = s.value(QStringLiteral("curves/smoothing")).toDouble(&ok);
    if (ok && weight >= 0 && weight < 1)
        c->setSmoothing(weight);
    const int axis = int(kXAxisNames.indexOf(s.value(QStringLiteral("curves/x")).toString()));
    if (axis >= 0)
        c->setXAxis(CurvesPanel::XAxis(axis));
    c->setLogY(boolValue(s, QStringLiteral("curves/logY"), c->logY()));
    c->setOverlay(boolValue(s, QStringLiteral("curves/overlay"), c->overlay()));
    const QVariant tags = s.value(QStringLiteral("curves/tags"));
    if (tags.typeId() == QMetaType::QStringList || tags.typeId() == QMetaType::QString)
        c->setPreferredTags(tags.toStringList());
}

} // namespace settings

void RecentFiles::load(const QSettings &s)
{
    m_paths.clear();
    for (const QString &p : s.value(QStringLiteral("recent")).toStringList())
        if (!p.isEmpty() && !m_paths.contains(p) && m_paths.size() < m_limit)
            m_paths << p;
}

void RecentFiles::save(QSettings &s) const
{
    s.setValue(QStringLiteral("recent"), m_paths);
}

void RecentFiles::add(const QString &path)
{
    m_paths.removeAll(path);
    m_paths.prepend(path);
    while (m_paths.size() > m_limit)
        m_paths.removeLast();
}

void RecentFiles::remove(const QString &path)
{
    m_paths.removeAll(path);
}

int RecentFiles::removeMissing()
{
    return int(m_paths.removeIf([](const QString &p) { return !QFileInfo::exists(p); }));
}

} // namespace wl
