#pragma once

#include <QWidget>

namespace wl
{

// What the centre shows before anything is open: where to drop and what can be read.
class EmptyState : public QWidget
{
    Q_OBJECT
public:
    explicit EmptyState(QWidget *parent = nullptr);

protected:
    void paintEvent(QPaintEvent *event) override;
};

} // namespace wl
