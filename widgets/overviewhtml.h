#pragma once

#include "formats/reader.h"
#include "itemmodels/checkpointtreemodel.h"
#include "itemmodels/tensorref.h"
#include "stats/statsengine.h"

#include <QList>
#include <QString>
#include <optional>

// HTML pages for the inspector's Overview tab; values are escaped.
namespace wl::overview
{

QString emptyPage();
QString sourcePage(const OpenResult &source, const Problems &problems);
QString checkpointPage(const CheckpointIndex &index, const Problems &problems);
// A layer or group (or a multiple selection): totals and a table of its tensors; tensors of
// several checkpoints give a table of the checkpoints and the tensors of the latest only.
QString groupPage(const QString &title, const QList<TensorRef> &tensors);
QString tensorPage(const TensorRef &t, const std::optional<TensorReport> &report,
                   const Problems &problems);

// Training logs: per run, a table of its tags (points, first and last step, last value).
QString logsPage(const QString &title, const QList<LogRunRef> &runs, const Problems &problems);

QString formatBytes(std::int64_t bytes);
QString formatCount(std::int64_t n);
// "1 tensor", "2 tensors": the count and the word that agrees with it.
QString formatCount(std::int64_t n, const QString &one, const QString &many);

} // namespace wl::overview
