#pragma once

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QMenu;
class QMessageBox;
class QSplitter;

namespace wl
{

class Workbench;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    void openPaths(const QStringList &paths);
    Workbench *workbench() const { return m_bench; }

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
    QPointer<QMessageBox> m_errorBox; // the one open-error message, reused while shown
    QStringList m_recentPaths;
};

} // namespace wl
