#pragma once

#include "reader.h"

#include <QSet>
#include <memory>
#include <vector>

namespace wl
{

class ReaderRegistry
{
public:
    struct Candidate {
        const Reader *reader = nullptr;
        ProbeResult probe;
    };

    void add(std::unique_ptr<Reader> reader);
    const std::vector<std::unique_ptr<Reader>> &readers() const { return m_readers; }
    const Reader *find(const QString &id) const;
    // Every reader's file patterns ("*.h5", ...), each once: a file dialog's filter.
    QStringList filePatterns() const;

    // Readers that claim the source, best first.
    std::vector<Candidate> candidates(const Source &source) const;

    // Opens a path with the best reader. A directory that no reader claims as a whole is
    // scanned (a few levels deep) and everything readable in it is collected as a run.
    // When every candidate fails, the error lists each reader's reason.
    Result<OpenResult> open(const QString &path, const JobContext &job = JobContext::none()) const;

    // Names known non-checkpoint files ("TensorBoard event file", ...); empty if unknown.
    static QString describeUnknown(const Source &source);
    // Adds an information row for a file in a scanned folder that no reader claims, naming what
    // a reader took it for, if anything.
    static void notRead(const Source &file, const QString &recognisedAs, Problems &problems);

    // All built-in readers (model/formats/builtinreaders.cpp).
    static const ReaderRegistry &builtin();

private:
    static Result<OpenResult> openWith(const Reader &reader, const Source &source,
                                       const JobContext &job);
    Result<OpenResult> openSource(const Source &source, const JobContext &job) const;
    Result<OpenResult> scanDirectory(const Source &source, const JobContext &job, int depth) const;
    void scanInto(const Source &source, const JobContext &job, int depth, OpenResult &res,
                  QSet<QString> &consumed) const;
    std::vector<std::unique_ptr<Reader>> m_readers;
};

void registerBuiltinReaders(ReaderRegistry &registry);

} // namespace wl
