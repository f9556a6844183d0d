#pragma once

#include "core/problem.h"

#include <QWidget>

class QTreeWidget;
class QLabel;

namespace wl
{

// Warnings and errors of everything open: what, which file, where; newest open errors first.
class ProblemsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ProblemsPanel(QWidget *parent = nullptr);

    // Findings of the open sources (replaces the previous list; open errors are kept).
    void setProblems(const Problems &problems);
    // A path that could not be opened, shown until cleared.
    void addError(const Problem &error);
    void clearErrors();
    int count() const;
    // Tall enough to show up to kShownRows rows without scrolling.
    QSize minimumSizeHint() const override;
    static constexpr int kShownRows = 8;
    QTreeWidget *list() const { return m_list; }

signals:
    void countChanged(int count);
    // Double-click: the problem's file and place (a tensor key, an offset or a member).
    void problemActivated(const QString &file, const QString &where);

private:
    void rebuild();

    Problems m_problems;
    Problems m_errors;
    QTreeWidget *m_list = nullptr;
    QLabel *m_empty = nullptr;
};

} // namespace wl
