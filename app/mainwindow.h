#pragma once

#include "appsettings.h"
#include "itemmodels/tensorref.h"

#include <QMainWindow>

#include <memory>

class QLabel;
class QMenu;
class QSplitter;

namespace wl
{

class Checkpoint;
class CompareView;
class Workbench;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    void openPaths(const QStringList &paths);
    // Paths handed over by a second `weightlens`: opened here, and the window brought forward.
    void openHandedOver(const QStringList &paths);
    // Opens a compare window for two checkpoints; the first two selected when none are given.
    void compareCheckpoints();
    CompareView *openCompare(std::shared_ptr<const Checkpoint> a,
                             std::shared_ptr<const Checkpoint> b);
    // "Restore Into…": asks for the checkpoint to write these tensors (of one checkpoint)
    // into, then shows the compare view's dry run for them.
    void restoreInto(const QList<TensorRef> &tensors);
    void openRunAnalysis(const QVector<std::shared_ptr<const Checkpoint>> &run,
                         const QString &title);
    void openRunChanges(const QVector<std::shared_ptr<const Checkpoint>> &run,
                        const QString &title);
    Workbench *workbench() const { return m_bench; }
    // File > Export Report: the dialog over the selection, its run, a comparison of two
    // selected checkpoints or everything open.
    void exportReport();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void openFileDialog();
    void openFolderDialog();
    void addRecent(const QString &path);
    void fillRecentMenu();
    void showError(const QString &message);
    void askToOpenLarge(const QString &path, const QString &message);
    void restoreSettings();
    void saveSettings();

    Workbench *m_bench = nullptr;
    QSplitter *m_hsplit = nullptr;
    QSplitter *m_vsplit = nullptr;
    QMenu *m_recent = nullptr;
    QLabel *m_summary = nullptr;
    RecentFiles m_recentFiles;
};

} // namespace wl
