#pragma once

#include "report/reportdata.h"

#include <QDialog>
#include <QMap>

#include <atomic>
#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QThread;

namespace wl
{

// What a report can cover: the paths (and the pair to compare), and when the window has them
// open already, the opened sources themselves, which the report then uses instead of opening
// the paths again.
struct ReportScope {
    QString label;
    QStringList paths;
    QString compareA, compareB;
    QList<OpenResult> opened;          // parallel to paths, or empty
    std::optional<OpenResult> openedA; // with openedB: the comparison, already open
    std::optional<OpenResult> openedB;
};

// File > Export Report: the sections, what to cover and the file (its suffix picks HTML, PDF,
// Markdown or JSON). Export opens and measures in the background with progress; Cancel stops
// it and leaves nothing under the file's name. The plots are drawn with the window's own plot
// widgets once the numbers are in.
class ReportDialog : public QDialog
{
    Q_OBJECT
public:
    ReportDialog(const QList<ReportScope> &scopes, const QString &file, QWidget *parent = nullptr);
    ~ReportDialog() override; // cancels and waits for the background work

    QCheckBox *sectionBox(report::Section s) const { return m_sections.value(s); }
    QComboBox *scopeBox() const { return m_scope; }
    QLineEdit *fileEdit() const { return m_file; }
    QPushButton *exportButton() const { return m_export; }
    QProgressBar *progressBar() const { return m_progress; }
    QString statusText() const;
    bool isRunning() const { return m_thread != nullptr; }

    report::ReportRequest request() const;
    // Whether the chosen scope is reported from the window's open sources.
    bool usesOpenSources() const;

public slots:
    void startExport();
    void cancelExport();
    void reject() override; // cancels first when running

signals:
    // After each export: the file written, or why not.
    void exported(bool ok, const QString &file, const QString &message);

private:
    void browse();
    void updateState();
    void finish(std::shared_ptr<Result<report::Report>> built, const QString &file);

    QList<ReportScope> m_scopes;
    QMap<report::Section, QCheckBox *> m_sections;
    QComboBox *m_scope = nullptr;
    QLineEdit *m_file = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_cancel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    bool m_problemShown = false;
};

} // namespace wl
