#pragma once

#include <QDialog>
#include <memory>

class QListWidget;

namespace wl
{

class Checkpoint;

// Where "Restore Into…" writes the tree's selected tensors: another checkpoint open in the
// tree, or a checkpoint file to open first. What is written is decided later, in the dry run.
class RestoreTargetDialog : public QDialog
{
    Q_OBJECT
public:
    RestoreTargetDialog(const Checkpoint &from, int tensors,
                        const QList<std::shared_ptr<const Checkpoint>> &candidates,
                        QWidget *parent = nullptr);

    QListWidget *list() const { return m_list; }
    // The chosen open checkpoint; none when a file was chosen instead.
    std::shared_ptr<const Checkpoint> target() const;
    QString filePath() const { return m_file; }

private:
    QListWidget *m_list = nullptr;
    QList<std::shared_ptr<const Checkpoint>> m_candidates;
    QString m_file;
};

} // namespace wl
