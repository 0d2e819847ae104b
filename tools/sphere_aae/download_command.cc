// sphere_aae download URL [--verify]: a converted model from the hub into the weight cache;
// prints the local directory as the last line of stdout (docs/download.md).
#include <cstdio>
#include <memory>
#include <string>

#include "hub/download.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {

CommandRunner setup_download(CLI::App& app) {
  auto url = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  app.add_option("URL", *url,
                 "HF://org/repo, HF://org/repo@revision or https://huggingface.co/org/repo[/tree/rev]")
      ->required();
  app.add_flag("--verify", *verify, "check the md5 of every shard of a cached copy, not only sizes");
  app.footer(
      "Environment: HF_ENDPOINT, HF_TOKEN, SPHERE_AAE_HOME, SPHERE_AAE_DOWNLOAD_CACHE_POLICY "
      "(ON/OFF/REDO/READONLY), SPHERE_AAE_READONLY_WEIGHT_CACHE.");
  return [url, verify]() -> Status {
    AAE_ASSIGN_OR_RETURN(hub::DownloadOptions options, hub::download_options_from_env());
    options.verify = *verify;
    AAE_ASSIGN_OR_RETURN(std::filesystem::path dir, hub::get_or_download_model(*url, options));
    std::printf("%s\n", dir.string().c_str());
    std::fflush(stdout);
    return ok_status();
  };
}

}  // namespace aae::cli
