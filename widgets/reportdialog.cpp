#include "reportdialog.h"

#include "core/plural.h"
#include "report/reportwriters.h"
#include "reportplots.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

namespace wl
{

ReportDialog::ReportDialog(const QList<ReportScope> &scopes, const QString &file, QWidget *parent)
    : QDialog(parent), m_scopes(scopes)
{
    setWindowTitle(tr("Export Report"));

    m_scope = new QComboBox(this);
    for (const auto &s : scopes)
        m_scope->addItem(s.label);
    m_scope->setAccessibleName(tr("What the report covers"));

    auto *sections = new QGroupBox(tr("Sections"), this);
    auto *grid = new QGridLayout(sections);
    const auto all = report::allSections();
    for (int i = 0; i < all.size(); ++i) {
        auto *box = new QCheckBox(report::sectionTitle(all[i]), sections);
        box->setChecked(true);
        m_sections.insert(all[i], box);
        grid->addWidget(box, i % 4, i / 4);
        connect(box, &QCheckBox::toggled, this, &ReportDialog::updateState);
    }

    m_file = new QLineEdit(file, this);
    m_file->setAccessibleName(tr("Report file"));
    m_file->setToolTip(tr("The suffix picks the format: .html, .pdf, .md (plots beside it in "
                          "FILE_files/) or .json"));
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse…"));
    connect(browse, &QToolButton::clicked, this, &ReportDialog::browse);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);

    auto *form = new QFormLayout;
    form->addRow(tr("Cover:"), m_scope);
    form->addRow(tr("File:"), fileRow);

    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_buttons = new QDialogButtonBox(this);
    m_export = m_buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_export->setDefault(true);
    m_cancel = m_buttons->addButton(QDialogButtonBox::Cancel);
    connect(m_export, &QPushButton::clicked, this, &ReportDialog::startExport);
    connect(m_cancel, &QPushButton::clicked, this, &ReportDialog::reject);
    connect(m_file, &QLineEdit::textChanged, this, &ReportDialog::updateState);
    connect(m_scope, &QComboBox::currentIndexChanged, this, &ReportDialog::updateState);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(sections);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    updateState();
}

ReportDialog::~ReportDialog()
{
    if (m_thread) {
        m_cancelFlag->store(true);
        m_thread->wait();
    }
}

QString ReportDialog::statusText() const
{
    return m_status->text();
}

report::ReportRequest ReportDialog::request() const
{
    report::ReportRequest req;
    const auto scope = m_scopes.value(m_scope->currentIndex());
    req.paths = scope.paths;
    req.compareA = scope.compareA;
    req.compareB = scope.compareB;
    req.sections = {};
    for (auto it = m_sections.begin(); it != m_sections.end(); ++it)
        if (it.value()->isChecked())
            req.sections |= it.key();
    return req;
}

bool ReportDialog::usesOpenSources() const
{
    return !m_scopes.value(m_scope->currentIndex()).opened.isEmpty();
}

void ReportDialog::browse()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export report"), m_file->text(),
        tr("HTML page (*.html);;PDF document (*.pdf);;Markdown with images (*.md);;JSON (*.json)"));
    if (!path.isEmpty())
        m_file->setText(path);
}

void ReportDialog::updateState()
{
    const bool running = m_thread != nullptr;
    const auto req = request();
    QString problem;
    if (m_scopes.isEmpty() || (req.paths.isEmpty() && req.compareA.isEmpty()))
        problem = tr("Open a checkpoint or a run first.");
    else if (!req.sections)
        problem = tr("Choose at least one section.");
    else if (!report::formatFor(m_file->text()))
        problem = tr("The file name should end in .html, .pdf, .md or .json.");
    m_export->setEnabled(!running && problem.isEmpty());
    m_scope->setEnabled(!running);
    m_file->setEnabled(!running);
    for (auto *box : std::as_const(m_sections))
        box->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel Export") : tr("Close"));
    if (!running && !problem.isEmpty()) {
        m_status->setText(problem);
        m_problemShown = true;
    } else if (!running && m_problemShown) {
        m_status->clear();
        m_problemShown = false;
    }
}

void ReportDialog::startExport()
{
    if (m_thread)
        return;
    const auto req = request();
    const QString file = m_file->text();
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    auto flag = m_cancelFlag;
    auto built = std::make_shared<Result<report::Report>>(
        makeError(LoadError::Code::Cancelled, file, {}, {}, {}, QStringLiteral("not started")));
    QPointer<ReportDialog> self(this);
    // Progress reaches the bar through the event queue, at most every 50 ms.
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    JobContext job(flag.get(), [self, timer](double f, const QString &phase) {
        if (timer->elapsed() < 50 && f < 1)
            return;
        timer->restart();
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, f, phase] {
                if (!self)
                    return;
                self->m_progress->setValue(int(f * 900)); // writing is the last tenth
                if (!phase.isEmpty())
                    self->m_status->setText(phase);
            },
            Qt::QueuedConnection);
    });
    const auto scope = m_scopes.value(m_scope->currentIndex());
    m_thread = QThread::create([req, job, built, scope] {
        if (scope.opened.isEmpty())
            *built = report::buildReport(req, job);
        else
            *built =
                report::buildReport(req, scope.opened, scope.openedA ? &*scope.openedA : nullptr,
                                    scope.openedB ? &*scope.openedB : nullptr, job);
    });
    connect(m_thread, &QThread::finished, this, [this, built, file] { finish(built, file); });
    m_progress->setValue(0);
    m_status->setText(tr("Opening…"));
    updateState();
    m_thread->start();
}

void ReportDialog::finish(std::shared_ptr<Result<report::Report>> built, const QString &file)
{
    m_thread->deleteLater();
    m_thread = nullptr;
    QString message;
    bool ok = false;
    if (!built->ok()) {
        message = built->error().code == LoadError::Code::Cancelled
                      ? tr("Cancelled; nothing was written.")
                      : built->error().message();
    } else {
        m_status->setText(tr("Drawing and writing %1…").arg(QFileInfo(file).fileName()));
        m_progress->setValue(920);
        const ReportPlots plots;
        const JobContext job(m_cancelFlag.get());
        const Status st = report::writeReport(**built, file, &plots, job);
        ok = st.ok();
        if (ok) {
            message = tr("Wrote %1.").arg(file);
            if (!(*built)->unread.isEmpty())
                message += QLatin1Char(' ') + tr("%1 could not be read; the report lists why.")
                                                  .arg(counted((*built)->unread.size(), "input"));
        } else {
            message = st.error().code == LoadError::Code::Cancelled
                          ? tr("Cancelled; nothing was written.")
                          : tr("Not written: %1").arg(st.error().message());
        }
    }
    m_progress->setValue(ok ? 1000 : 0);
    m_status->setText(message);
    m_problemShown = false;
    updateState();
    emit exported(ok, file, message);
}

void ReportDialog::cancelExport()
{
    if (m_cancelFlag)
        m_cancelFlag->store(true);
    m_status->setText(tr("Cancelling…"));
}

void ReportDialog::reject()
{
    if (m_thread) {
        cancelExport();
        return;
    }
    QDialog::reject();
}

} // namespace wl
