#pragma once

#include <QStringList>

class QSettings;

namespace wl
{

class Workbench;

namespace settings
{

// Sets aside a settings file that cannot be what WeightLens wrote (binary bytes, text that is
// not UTF-8, a section QSettings cannot parse), renaming it NAME.damaged, so the application
// starts from defaults. Returns the name it was moved to, or empty when the file is sound.
QString recoverDamaged(const QString &file);

// The folder each file dialog showed last ("open-file", "open-folder", "export-plot"...).
QString lastFolder(const QString &dialog);
void setLastFolder(const QString &dialog, const QString &path);

// The views' own state: tree columns, histogram bins, log counts, density; the Curves tab's
// smoothing, x axis, log y and checked tags.
void saveViews(QSettings &s, const Workbench &bench);
void restoreViews(const QSettings &s, Workbench &bench);

} // namespace settings

// Most recent first, at most `limit`, kept in the settings under "recent".
class RecentFiles
{
public:
    explicit RecentFiles(int limit = 12) : m_limit(limit) {}
    void load(const QSettings &s);
    void save(QSettings &s) const;
    void add(const QString &path);
    void remove(const QString &path);
    // Drops the entries no longer on disk; returns how many.
    int removeMissing();
    void clear() { m_paths.clear(); }
    const QStringList &paths() const { return m_paths; }

private:
    int m_limit;
    QStringList m_paths;
};

} // namespace wl
