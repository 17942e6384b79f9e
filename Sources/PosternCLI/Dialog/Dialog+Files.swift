import Foundation
import PosternStore

extension Dialog {
    /// A file named for IMPORT or EXPORT: relative to the configuration directory and never
    /// leading out of it (ConfigurationFiles). A refused name is asked again at a prompt and
    /// ends the command in batch. With `required: false`, Enter gives nil (no file).
    func configurationFile(_ question: String, key: String = "file", home: Home, required: Bool = true)
        throws(DialogAbort) -> URL?
    {
        try ask(question, default: required ? nil : "", key: key) { answer -> Result<URL?, DialogError> in
            if answer.isEmpty {
                return required ? .failure(DialogError("Please enter a value.")) : .success(nil)
            }
            switch ConfigurationFiles.resolve(answer, home: home) {
            case .success(let url): return .success(url)
            case .failure(let refused): return .failure(DialogError(refused.description))
            }
        }
    }

    /// A file that must be given (see `configurationFile`).
    func requiredConfigurationFile(_ question: String, key: String = "file", home: Home) throws(DialogAbort) -> URL {
        guard let url = try configurationFile(question, key: key, home: home, required: true) else {
            // `required` makes the empty answer an error, so a URL always comes back.
            fatalError("configurationFile returned no file for a required question")
        }
        return url
    }
}
