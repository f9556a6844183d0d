#pragma once

#include "restorechoices.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QTableWidget;

namespace wl
{

class Checkpoint;

// The dry run before a restore: which of B's tensors get which of A's values, how much is
// written, and where to (a new file or checkpoint, or B's run's next checkpoint). Nothing is
// written until it is accepted.
class RestoreDialog : public QDialog
{
    Q_OBJECT
public:
    RestoreDialog(const Checkpoint &a, const Checkpoint &b,
                  const QVector<RestoreChoices::Pair> &chosen, QWidget *parent = nullptr);

    QString outPath() const;
    bool intoRun() const;   // B's run's next checkpoint rather than outPath
    QString runDir() const; // B's folder, for intoRun
    bool withSlots() const;
    QTableWidget *table() const { return m_table; }
    // A remark above the table (what was asked for but cannot be restored); empty hides it.
    void setNote(const QString &text);
    QLabel *note() const { return m_note; }

private:
    QTableWidget *m_table = nullptr;
    QLabel *m_note = nullptr;
    QLineEdit *m_out = nullptr;
    QRadioButton *m_toFile = nullptr;
    QRadioButton *m_toRun = nullptr;
    QCheckBox *m_slots = nullptr;
    QString m_runDir;
};

} // namespace wl
