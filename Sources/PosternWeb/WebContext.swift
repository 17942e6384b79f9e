import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage, the client's address, and the signed-in
/// session once the session middleware has found it.
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address as text (`127.0.0.1`), for the audit log and commit records.
    public let address: String
    public var session: WebSession?
    /// The submitted form of a POST, read (and its CSRF token checked) by the session middleware.
    public var form: [String: String] = [:]

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        address = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Forms are small; a larger body is refused before it is read.
    public var maxUploadSize: Int { 256 * 1024 }
}

/// Security headers on every response (HSTS; a Content-Security-Policy that allows no script
/// at all and styles from this origin only; no framing; no caching of admin pages).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebContext


    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = Response(status: error.status, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: (error.body ?? "\(error.status)") + "\n")))
        }
        response.headers[.strictTransportSecurity] = "max-age=31536000"
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        // Not among swift-http-types' predefined names; both literals are valid field names.
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
