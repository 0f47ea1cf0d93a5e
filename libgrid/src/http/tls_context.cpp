#include <stdexcept>

#include <openssl/ssl.h>
#include <boost/asio/ssl/context.hpp>

#include "connection.h"

namespace grid::http::detail {
namespace ssl = boost::asio::ssl;

namespace {

std::runtime_error tls_error(const std::string& what, const std::string& file, const boost::system::error_code& ec) {
  return std::runtime_error("http: cannot load TLS " + what + " " + file + ": " + ec.message());
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsFiles& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 is the floor (1.0 and 1.1 are deprecated by RFC 8996); no compression (CRIME); our
  // cipher order, not the client's, so a client cannot talk us down to its weakest choice.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_options(context->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("http: cannot set TLS 1.2 as the minimum version");
  }
  boost::system::error_code ec;
  context->use_certificate_chain_file(files.certificate_chain, ec);
  if (ec) throw tls_error("certificate", files.certificate_chain, ec);
  context->use_private_key_file(files.private_key, ssl::context::pem, ec);
  if (ec) throw tls_error("private key", files.private_key, ec);
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    throw std::runtime_error("http: the TLS private key " + files.private_key + " does not match the certificate " +
                             files.certificate_chain);
  }
  return context;
}

}  // namespace grid::http::detail
